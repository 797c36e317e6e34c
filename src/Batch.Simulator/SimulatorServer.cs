using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Batch.Simulator;

/// <summary>
/// A simulator running in-process on a free loopback port, for tests and benchmarks.
/// Each instance is independent, so many can run in parallel.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatorState _state;

    private SimulatorServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        _state = app.Services.GetRequiredService<SimulatorState>();
        BaseUrl = baseUrl;
    }

    /// <summary>The root address, e.g. <c>http://127.0.0.1:54321/</c>; the API is under <c>v1/</c>.</summary>
    public Uri BaseUrl { get; }

    public string ApiKey => Options.ApiKey;

    /// <summary>The live settings: changes apply to later requests.</summary>
    public SimulatorOptions Options => _state.Options;

    public static Task<SimulatorServer> StartAsync(Action<SimulatorOptions>? configure = null, CancellationToken cancellationToken = default) =>
        StartAsync(configure, TimeProvider.System, cancellationToken);

    /// <summary>Starts a simulator whose clock (cache lifetimes, token buckets, delays) is <paramref name="timeProvider"/>.</summary>
    public static async Task<SimulatorServer> StartAsync(Action<SimulatorOptions>? configure, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        var app = SimulatorApplication.Build(["--urls", "http://127.0.0.1:0"], configure, timeProvider);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public SimulatorStatsSnapshot GetStats() => _state.Snapshot();

    /// <summary>Clears stats, the prompt cache, bucket state and spend.</summary>
    public void Reset() => _state.Reset();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

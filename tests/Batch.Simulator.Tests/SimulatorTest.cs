namespace Batch.Simulator.Tests;

/// <summary>
/// A fresh simulator on a loopback port for each test (xunit makes a new instance per test), with no latency
/// unless <see cref="Configure"/> says otherwise, and a client for it.
/// </summary>
public abstract class SimulatorTest : IAsyncLifetime
{
    protected SimulatorServer Server { get; private set; } = null!;

    private protected SimulatorClient Client { get; private set; } = null!;

    /// <summary>The clock the simulator runs on; null for the system clock.</summary>
    protected virtual TimeProvider? Time => null;

    protected virtual void Configure(SimulatorOptions options) => options.SpeedFactor = 0;

    public async Task InitializeAsync()
    {
        Server = Time is { } time
            ? await SimulatorServer.StartAsync(Configure, time)
            : await SimulatorServer.StartAsync(Configure);
        Client = new SimulatorClient(Server);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

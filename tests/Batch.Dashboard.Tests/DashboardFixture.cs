using Batch.Simulator;
using Batch.Testing;
using Batch.Worker.Tests;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Batch.Dashboard.Tests;

/// <summary>
/// The real API (Kestrel on a loopback port) and an in-process worker over a database of their own, the default account
/// at a simulator, and Debian's Chromium driven by Playwright. The account's RPM is 600, so a job of a few hundred rows
/// runs for long enough to be watched, paused and resumed.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Requests per minute of the default account: ten rows a second.</summary>
    public const int Rpm = 600;

    public PostgresDatabase Database { get; } = new();

    public SimulatorServer Simulator { get; private set; } = null!;

    public RunningApi Api { get; private set; } = null!;

    public IHost Worker { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Simulator = await WorkerTestKit.StartSimulatorAsync();
        var settings = WorkerTestKit.Settings(Database, Simulator, new() { ["Anthropic:Rpm"] = $"{Rpm}" });
        Api = await TestHosts.StartApiAsync(Database.ConnectionString, settings);
        Worker = await TestHosts.StartWorkerAsync(Database.ConnectionString, settings);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(Playwright);
        // Live regions refresh every two seconds; a job of a few hundred rows takes about half a minute.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Worker.StopAsync();
        Worker.Dispose();
        await Api.DisposeAsync();
        await Simulator.DisposeAsync();
        await Database.DisposeAsync();
    }
}

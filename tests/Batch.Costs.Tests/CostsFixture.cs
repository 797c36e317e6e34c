using Batch.Simulator;
using Batch.Testing;
using Batch.Worker.Tests;
using Microsoft.Extensions.Hosting;

namespace Batch.Costs.Tests;

/// <summary>
/// A real API and an in-process worker over a database of their own, with the default account at a simulator (no rate
/// limits, small latency), so jobs uploaded through the API run and estimates can call count_tokens.
/// </summary>
public sealed class CostsFixture : IAsyncLifetime
{
    public PostgresDatabase Database { get; } = new();

    public SimulatorServer Simulator { get; private set; } = null!;

    public RunningApi Api { get; private set; } = null!;

    public IHost Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Simulator = await WorkerTestKit.StartSimulatorAsync();
        var settings = WorkerTestKit.Settings(Database, Simulator, new() { ["Batch:Estimates:SampleRows"] = "10" });
        Api = await TestHosts.StartApiAsync(Database.ConnectionString, settings);
        Worker = await TestHosts.StartWorkerAsync(Database.ConnectionString, settings);
    }

    public async Task DisposeAsync()
    {
        await Worker.StopAsync();
        Worker.Dispose();
        await Api.DisposeAsync();
        await Simulator.DisposeAsync();
        await Database.DisposeAsync();
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Batch.Simulator;
using Batch.Testing;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Batch.Batches.Tests;

/// <summary>The real API and a worker over a database of their own, sending to the simulator over real HTTP.</summary>
public sealed class BatchesFixture : IAsyncLifetime
{
    public PostgresDatabase Database { get; } = new();

    public SimulatorServer Simulator { get; private set; } = null!;

    public RunningApi Api { get; private set; } = null!;

    private IHost _worker = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        // No rate limits and a small latency, so requests overlap and a large batch is still running when it is canceled.
        Simulator = await SimulatorServer.StartAsync(options =>
        {
            (options.Rpm, options.InputTpm, options.OutputTpm) = (0, 0, 0);
            (options.TimeToFirstTokenMs, options.MsPerOutputToken, options.OutputTokensMin, options.OutputTokensMax) = (20, 0, 5, 20);
        });
        var settings = new Dictionary<string, string?>
        {
            // The test server is shared: small pools, and idle connections of stopped hosts closed soon.
            ["ConnectionStrings:Batch"] = new NpgsqlConnectionStringBuilder(Database.ConnectionString)
            {
                MaxPoolSize = 20,
                ConnectionIdleLifetime = 2,
                ConnectionPruningInterval = 1,
            }.ConnectionString,
            ["Batch:Hangfire:MaxPoolSize"] = "10",
            ["Anthropic:BaseUrl"] = Simulator.BaseUrl.ToString(),
            ["Anthropic:ApiKey"] = Simulator.ApiKey,
            ["Anthropic:Rpm"] = "1000000",
            ["Anthropic:InputTpm"] = "1000000000",
            ["Anthropic:OutputTpm"] = "1000000000",
            ["Batch:Worker:SweepInterval"] = "00:00:01",
            ["Batch:Worker:ClaimBatchSize"] = "20",
        };
        Api = await TestHosts.StartApiAsync(Database.ConnectionString, settings);
        _worker = await TestHosts.StartWorkerAsync(Database.ConnectionString, settings);
    }

    /// <summary>A new key of a project of its own, so each test sees only its own batches.</summary>
    public Task<string> CreateKeyAsync(string project) => CreateKeyAsync(Api, project);

    public static async Task<string> CreateKeyAsync(RunningApi api, string project)
    {
        using var admin = api.CreateClient();
        using var created = await admin.PostAsJsonAsync(new Uri("/api/keys", UriKind.Relative), new { project, name = $"{project} tests" });
        created.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("key").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await Api.DisposeAsync();
        await Simulator.DisposeAsync();
        await Database.DisposeAsync();
    }
}

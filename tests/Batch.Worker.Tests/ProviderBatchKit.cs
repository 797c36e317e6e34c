using System.Text.Json;
using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;

namespace Batch.Worker.Tests;

/// <summary>Settings and reads for provider-batch tests: short poll intervals, a simulator that processes batches quickly.</summary>
internal static class ProviderBatchKit
{
    /// <summary>A simulator whose batches start after 100 ms and run at <paramref name="requestsPerSecond"/> (0: at once).</summary>
    public static Task<SimulatorServer> StartSimulatorAsync(double requestsPerSecond = 0, Action<SimulatorOptions>? configure = null) =>
        WorkerTestKit.StartSimulatorAsync(options =>
        {
            options.BatchQueueDelayMs = 100;
            options.BatchRequestsPerSecond = requestsPerSecond;
            options.BatchCancelDelayMs = 0;
            configure?.Invoke(options);
        });

    public static Dictionary<string, string?> Settings(PostgresDatabase database, SimulatorServer simulator, int maxRequests = 100_000, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Anthropic:BatchMaxRequests"] = maxRequests.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Batch:ProviderBatches:PollInitial"] = "00:00:00.200",
            ["Batch:ProviderBatches:PollMax"] = "00:00:01",
            ["Batch:ProviderBatches:SchedulePollingInterval"] = "00:00:00.100",
            ["Batch:ProviderBatches:RecoveryGrace"] = "00:00:01",
            ["Batch:ProviderBatches:OverdueAfter"] = "00:00:05",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        return WorkerTestKit.Settings(database, simulator, settings);
    }

    public static void ByProviderBatch(Job job)
    {
        job.DeliveryRequested = Delivery.ProviderBatch;
        job.Delivery = Delivery.ProviderBatch;
    }

    /// <summary>Waits until the provider has answered at least <paramref name="requests"/> of its batch, read through its own API.</summary>
    public static async Task WaitForAnsweredAsync(SimulatorServer simulator, string providerBatchId, int requests)
    {
        using var provider = new HttpClient { BaseAddress = simulator.BaseUrl };
        provider.DefaultRequestHeaders.Add("x-api-key", simulator.ApiKey);
        provider.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        long answered = 0;
        await WorkerTestKit.WaitUntilAsync(async () => (answered = JsonDocument.Parse(await provider.GetStringAsync(new Uri($"v1/messages/batches/{providerBatchId}", UriKind.Relative)))
                .RootElement.GetProperty("request_counts").GetProperty("succeeded").GetInt64()) >= requests,
            TimeSpan.FromSeconds(30), () => $"{requests} requests answered at the provider; {answered} are");
    }

    public static async Task<List<ProviderBatch>> ReadSlicesAsync(PostgresDatabase database, Guid jobId)
    {
        await using var db = database.CreateContext();
        return await db.ProviderBatches.AsNoTracking().Where(b => b.JobId == jobId).OrderBy(b => b.CreatedAt).ToListAsync();
    }
}

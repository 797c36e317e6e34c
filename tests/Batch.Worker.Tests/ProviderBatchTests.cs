using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using static Batch.Worker.Tests.ProviderBatchKit;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Jobs delivered by provider batch, end to end: the worker host in-process, the simulator's Message Batches API, real PostgreSQL.</summary>
public class ProviderBatchTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_job_split_into_three_slices_completes_with_every_row_recorded_once_at_half_price()
    {
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(requestsPerSecond: 500);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator, maxRequests: 40));
        const int rows = 100;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, blockRows: 30, configure: ByProviderBatch);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal((3L, (long)rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted));
        Assert.Equal(0, stats.RequestsByStatus.Where(s => s.Key != "200").Sum(s => s.Value));
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(new PromptCounts(1, 1), stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))]));
        var slices = await ReadSlicesAsync(database, jobId);
        Assert.Equal([40, 40, 20], slices.Select(s => s.RequestCount));
        Assert.All(slices, s => Assert.Equal(ProviderBatchStatus.Imported, s.Status));
        Assert.All(slices, s => Assert.StartsWith("msgbatch_", s.ProviderBatchId, StringComparison.Ordinal));
        Assert.Equal([(1, 40), (41, 80), (81, 100)], slices.Select(s => (s.FirstSeq, s.LastSeq)));
        Assert.Equal(rows, slices.Sum(s => s.Succeeded));

        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal((rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.All(recorded, row => Assert.Equal((RowStatus.Succeeded, Delivery.ProviderBatch, (short)1), (row.Status, row.Delivery, row.Attempts)));
        Assert.Equal(stats.Tokens.Output, job.Counters.OutputTokens);
        Assert.Equal(recorded.Sum(r => (long)r.OutputTokens), job.Counters.OutputTokens);
        // Seeded claude-sonnet-4-5 prices (3 input, 15 output per million) at the seeded batch multiplier of 0.5.
        Assert.All(recorded, row => Assert.Equal(((row.InputTokens * 3m) + (row.OutputTokens * 15m)) / 1_000_000m * 0.5m, row.CostUsd));
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), job.Counters.CostUsd);
        await worker.StopAsync();
    }
}

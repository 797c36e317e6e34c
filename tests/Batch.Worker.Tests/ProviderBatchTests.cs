using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;
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
        // The rollup keeps the job's cost apart as provider-batch delivery, with what the discount saved: as much again.
        await using var db = database.CreateContext();
        var rollups = await db.CostRollups.AsNoTracking().Where(c => c.JobId == jobId).ToListAsync();
        Assert.All(rollups, c => Assert.Equal(Delivery.ProviderBatch, c.Delivery));
        Assert.Equal((job.Counters.CostUsd, job.Counters.CostUsd, (long)rows), (rollups.Sum(c => c.CostUsd), rollups.Sum(c => c.BatchSavingsUsd), rollups.Sum(c => c.Rows)));
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_cached_prefix_is_warmed_by_one_messages_request_and_read_by_the_slice_at_half_price()
    {
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator));
        const int rows = 20;
        // A shared prefix long enough to be cached, so cache writes and reads are priced too.
        var system = string.Concat(Enumerable.Repeat("You classify product reviews as positive, negative or neutral. ", 200));
        var jobId = await CreateTemplateJobAsync(database, rows, system, CacheTtl.OneHour, configure: ByProviderBatch);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal((1L, (long)rows - 1), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted));
        var recorded = await ReadRowsAsync(database, jobId);
        var warm = Assert.Single(recorded, r => r.Delivery == Delivery.Messages);
        Assert.True(warm.CacheWrite1hTokens > 0, "the warm-up row wrote the prefix for an hour");
        Assert.All(recorded.Where(r => r != warm), row => Assert.True(row.CacheReadTokens > 0 && row.CacheWrite1hTokens == 0, $"row {row.Seq} read the prefix"));
        // Seeded claude-sonnet-4-5 prices per million: 3 input, 6 a 1 h cache write, 0.3 a cache read, 15 output; a provider
        // batch's rows at the seeded batch multiplier of 0.5, cache reads included.
        Assert.All(recorded, row => Assert.Equal(
            ((row.InputTokens * 3m) + (row.CacheWrite1hTokens * 6m) + (row.CacheReadTokens * 0.3m) + (row.OutputTokens * 15m)) / 1_000_000m
            * (row.Delivery == Delivery.ProviderBatch ? 0.5m : 1m), row.CostUsd));
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), job.Counters.CostUsd);
        await using var db = database.CreateContext();
        var rollups = await db.CostRollups.AsNoTracking().Where(c => c.JobId == jobId).ToListAsync();
        var batchCost = recorded.Where(r => r.Delivery == Delivery.ProviderBatch).Sum(r => r.CostUsd!.Value);
        Assert.Equal((batchCost, batchCost), (rollups.Where(c => c.Delivery == Delivery.ProviderBatch).Sum(c => c.CostUsd), rollups.Sum(c => c.BatchSavingsUsd)));
        await worker.StopAsync();
    }

    [Fact]
    public async Task Slices_wait_for_room_in_the_accounts_provider_queue_and_the_provider_never_holds_more_than_its_limit()
    {
        const int limit = 50, rows = 100;
        // The provider refuses (429) a create that would put more than the limit in its queue, and counts the refusal.
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(requestsPerSecond: 50, configure: o => o.BatchQueueLimit = limit);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator, maxRequests: 40,
            extra: new() { ["Anthropic:BatchQueueLimit"] = $"{limit}" }));
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, blockRows: 30, configure: ByProviderBatch);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal(0, stats.BatchQueue!.CreatesRefused);
        Assert.InRange(stats.BatchQueue.PeakWaitingRequests, 1, limit);
        var slices = await ReadSlicesAsync(database, jobId);
        Assert.All(slices, s => Assert.InRange(s.RequestCount, 1, 40));
        Assert.Equal(rows, slices.Sum(s => s.RequestCount));
        // Twice the limit: some slice was cut only once an earlier one had ended at the provider.
        Assert.Contains(slices, s => slices.Any(o => o.EndedAt <= s.CreatedAt));
        Assert.Equal(((long)slices.Count, (long)rows, (long)rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted, stats.Batches.RequestsSucceeded));
        Assert.Equal(rows, job.Counters.SucceededRows);
        await worker.StopAsync();
    }

    [Fact]
    public async Task The_cost_report_shows_what_the_batch_discount_saved_to_the_cent()
    {
        // Long answers, so the savings run to dollars and a cent off would show.
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(configure: o => (o.OutputTokensMin, o.OutputTokensMax) = (3000, 4000));
        var settings = ProviderBatchKit.Settings(database, simulator);
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        const int rows = 40;
        var system = string.Concat(Enumerable.Repeat("You classify product reviews as positive, negative or neutral. ", 200));
        var jobId = await CreateTemplateJobAsync(database, rows, system, CacheTtl.OneHour, configure: job =>
        {
            ByProviderBatch(job);
            job.MaxTokens = 4000;
        });

        EnqueueStart(worker, jobId);
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        using var client = api.CreateClient();
        var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var report = System.Text.Json.JsonDocument.Parse(
            await client.GetStringAsync(new Uri($"/api/reports/costs?group_by=job&from={day}&to={tomorrow}", UriKind.Relative)));

        var line = report.RootElement.GetProperty("data").EnumerateArray().Single(l => l.GetProperty("job_id").GetGuid() == jobId);
        var recorded = await ReadRowsAsync(database, jobId);
        // Seeded claude-sonnet-4-5 prices per million: 3 input, 6 a 1 h cache write, 0.3 a cache read, 15 output. What the
        // provider-batch rows would have cost by Messages requests, less what they cost; the warm-up row saved nothing.
        static decimal FullPrice(JobRow row) =>
            ((row.InputTokens * 3m) + (row.CacheWrite1hTokens * 6m) + (row.CacheReadTokens * 0.3m) + (row.OutputTokens * 15m)) / 1_000_000m;
        var saved = recorded.Where(r => r.Delivery == Delivery.ProviderBatch).Sum(r => FullPrice(r) - r.CostUsd!.Value);
        Assert.True(saved > 1m, $"saved {saved} USD");
        Assert.Equal(saved, line.GetProperty("batch_savings_usd").GetDecimal());
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), line.GetProperty("cost_usd").GetDecimal());
        await worker.StopAsync();
    }
}

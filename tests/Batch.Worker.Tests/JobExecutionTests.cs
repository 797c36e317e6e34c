using System.Text.Json;
using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using Microsoft.Extensions.Hosting;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Jobs run end to end: the worker host in-process, the simulator over real HTTP, real PostgreSQL.</summary>
public class JobExecutionTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    // Well above the 1,024-token minimum of claude-sonnet-4-5 at ~4 characters a token.
    private static readonly string LongSystemPrompt = "You label product reviews as positive, negative or mixed. " + string.Concat(Enumerable.Repeat("Be consistent and brief. ", 250));

    [Fact]
    public async Task Every_row_is_recorded_once_with_the_exact_usage_and_the_cache_is_written_once()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const int rows = 40;
        var jobId = await CreateTemplateJobAsync(database, rows, LongSystemPrompt);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal((rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.NotNull(job.StartedAt);
        Assert.NotNull(job.FinishedAt);
        Assert.Null(job.CacheNote);
        Assert.Equal((1L, rows - 1L), (stats.Cache.Writes, stats.Cache.Reads));
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(new PromptCounts(1, 1), stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))]));

        // The job's totals are the simulator's, token for token, and the sum of its rows.
        Assert.Equal(
            (stats.Tokens.Input, stats.Tokens.CacheWrite5m, stats.Tokens.CacheWrite1h, stats.Tokens.CacheRead, stats.Tokens.Output),
            (job.Counters.InputTokens, job.Counters.CacheWrite5mTokens, job.Counters.CacheWrite1hTokens, job.Counters.CacheReadTokens, job.Counters.OutputTokens));
        Assert.Equal(job.Counters.CacheReadTokens, recorded.Sum(r => (long)r.CacheReadTokens));
        Assert.Equal(job.Counters.OutputTokens, recorded.Sum(r => (long)r.OutputTokens));

        // Seeded prices of claude-sonnet-4-5: 3 / 3.75 / 6 / 0.30 / 15 USD per million tokens.
        foreach (var row in recorded)
        {
            Assert.Equal(RowStatus.Succeeded, row.Status);
            Assert.Equal((short)200, row.HttpStatus);
            Assert.Equal((short)1, row.Attempts);
            Assert.False(string.IsNullOrEmpty(row.MessageId));
            Assert.False(string.IsNullOrEmpty(row.RequestId));
            Assert.False(string.IsNullOrEmpty(row.OutputText));
            Assert.Equal(Model, row.ResponseModel);
            Assert.NotNull(row.StopReason);
            Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(row.OutputContent!).RootElement.ValueKind);
            var expected = ((row.InputTokens * 3m) + (row.CacheWrite5mTokens * 3.75m) + (row.CacheReadTokens * 0.30m) + (row.OutputTokens * 15m)) / 1_000_000m;
            Assert.Equal(expected, row.CostUsd);
        }
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), job.Counters.CostUsd);
        Assert.Equal(1, recorded.Count(r => r.CacheWrite5mTokens > 0));
        await worker.StopAsync();
    }

    [Fact]
    public async Task An_uploaded_block_that_cannot_be_read_fails_the_job_with_the_reason_and_stays_stored()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, 10, systemPrompt: null, blockRows: 5);
        // PostgreSQL's jsonb refuses \u0000, which the upload rejects; were one to slip through, the job must not retry for ever.
        await ExecuteAsync(database, """UPDATE batch.job_input_blocks SET rows = convert_to('[["row-6", {"id": "\u0000"}]]', 'UTF8'), row_count = 1 WHERE job_id = $1 AND first_seq = 6""", jobId);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        Assert.Contains("Uploaded rows could not be read", job.StatusReason, StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync(database, "SELECT count(*) FROM batch.job_input_blocks WHERE job_id = $1 AND first_seq = 6", jobId));
        Assert.InRange(simulator.GetStats().RequestsTotal, 0, 5);
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_shared_prefix_below_the_minimum_is_not_cached_and_the_job_says_so()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, 10, "You label product reviews. Answer with one word.");

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal(10, job.Counters.SucceededRows);
        Assert.Contains("below", job.CacheNote, StringComparison.Ordinal);
        Assert.All(recorded, row => Assert.Equal((0, 0, 0), (row.CacheWrite5mTokens, row.CacheWrite1hTokens, row.CacheReadTokens)));
        Assert.Equal(0, simulator.GetStats().Cache.Writes);
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_job_that_cannot_be_run_as_specified_fails_with_the_reason_and_sends_nothing()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, 5, systemPrompt: null);
        await ExecuteAsync(database, "UPDATE batch.jobs SET user_template = NULL WHERE id = $1", jobId);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        Assert.Contains("no user template", job.StatusReason, StringComparison.Ordinal);
        Assert.Equal(0, simulator.GetStats().RequestsTotal);
        Assert.All(await ReadRowsAsync(database, jobId), row => Assert.Equal(RowStatus.Pending, row.Status));
    }

    [Fact]
    public async Task Invalid_requests_are_recorded_as_failed_and_not_retried()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        string Params(int i, int? maxTokens = null) => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = new[] { new { role = "user", content = $"params row {i}" } },
            ["max_tokens"] = maxTokens ?? 32,
        });
        var jobId = await CreateParamsJobAsync(database, [Params(1), Params(2, maxTokens: 0), Params(3), Params(4), Params(5, maxTokens: 0), Params(6)]);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        Assert.Equal((4, 2), (job.Counters.SucceededRows, job.Counters.FailedRows));
        foreach (var row in recorded.Where(r => r.Seq is 2 or 5))
        {
            Assert.Equal((RowStatus.Failed, (short?)400, "invalid_request_error", (short)1), (row.Status, row.HttpStatus, row.ErrorType, row.Attempts));
            Assert.Contains("max_tokens", row.ErrorMessage, StringComparison.Ordinal);
        }
        // Sent once each: the simulator saw exactly two 400s, and the valid rows once each.
        Assert.Equal(2, stats.RequestsByStatus["400"]);
        Assert.Equal(6, stats.RequestsTotal);
        await worker.StopAsync();
    }

    [Fact]
    public async Task Overloads_server_errors_and_dropped_connections_are_retried_to_success()
    {
        await using var simulator = await StartSimulatorAsync(o =>
        {
            o.OverloadedProbability = 0.15;
            o.ServerErrorProbability = 0.15;
            o.DropConnectionProbability = 0.15;
            o.Seed = 7;
        });
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Messages:MaxAttempts"] = "12" }));
        const int rows = 60;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        Assert.True(job.Counters.FailedRows == 0, string.Join("; ", recorded.Where(r => r.Status == RowStatus.Failed).Select(r => $"row {r.Seq}: {r.ErrorType}: {r.ErrorMessage}")));
        Assert.Equal((rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.True(stats.Faults.Overloaded > 0 && stats.Faults.ServerError > 0 && stats.Faults.DroppedConnection > 0, $"faults: {stats.Faults}");
        Assert.Contains(recorded, row => row.Attempts > 1);
        Assert.All(recorded, row => Assert.InRange(row.Attempts, (short)1, (short)12));
        Assert.Equal(stats.Faults.Overloaded + stats.Faults.ServerError + stats.Faults.DroppedConnection, recorded.Sum(r => r.Attempts - 1L));
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(1, stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))].Answered));
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_spend_cap_pauses_the_job_without_burning_rows_and_resume_finishes_it()
    {
        await using var simulator = await StartSimulatorAsync(o => o.SpendCapTokens = 400);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "2" }));
        const int rows = 60;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);

        EnqueueStart(worker, jobId);
        var paused = await WaitForStatusAsync(database, jobId, JobStatus.Paused);
        await WaitForNoLeasesAsync(jobId);

        Assert.Contains("spend limit", paused.StatusReason, StringComparison.Ordinal);
        Assert.Contains("enforced_spend_limit_reached", paused.StatusReason, StringComparison.Ordinal);
        Assert.Equal(0, (await ReadJobAsync(database, jobId)).Counters.FailedRows);
        var pending = await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 0", jobId);
        Assert.InRange(pending, 1, rows - 1);

        simulator.Options.SpendCapTokens = 0;
        await ExecuteAsync(database, "UPDATE batch.jobs SET status = 0, status_reason = NULL WHERE id = $1", jobId);
        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal((rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.Null(job.StatusReason);
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(1, stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))].Answered));
        await worker.StopAsync();
    }

    [Fact]
    public async Task Pause_stops_new_sends_within_a_second_and_resume_sends_each_remaining_row_once()
    {
        const int rows = 200;
        var (simulatorServer, worker, jobId) = await StartSlowJobAsync(rows);
        await using var simulator = simulatorServer;
        using var workerHost = worker;
        await ExecuteAsync(database, "UPDATE batch.jobs SET status = 2, status_reason = 'paused by test' WHERE id = $1", jobId);
        await AssertNoNewSendsAsync(simulator);
        await WaitForNoLeasesAsync(jobId);
        var atPause = await ReadJobAsync(database, jobId);
        Assert.Equal(JobStatus.Paused, atPause.Status);
        Assert.InRange(atPause.Counters.SucceededRows, 30, rows - 1);

        await ExecuteAsync(database, "UPDATE batch.jobs SET status = 0, status_reason = NULL WHERE id = $1", jobId);
        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal(rows, job.Counters.SucceededRows);
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(new PromptCounts(1, 1), stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))]));
        await worker.StopAsync();
    }

    [Fact]
    public async Task Cancel_stops_new_sends_and_records_what_was_in_flight()
    {
        const int rows = 200;
        var (simulatorServer, worker, jobId) = await StartSlowJobAsync(rows);
        await using var simulator = simulatorServer;
        using var workerHost = worker;
        // What the API's cancel does: the job and its pending rows are canceled; leased rows are left to their workers.
        await ExecuteAsync(database, """
            WITH canceled AS (UPDATE batch.job_rows SET status = 4, completed_at = now() WHERE job_id = $1 AND status = 0 RETURNING 1)
            UPDATE batch.jobs SET status = 5, canceled_rows = canceled_rows + (SELECT count(*) FROM canceled), finished_at = now() WHERE id = $1
            """, jobId);
        await AssertNoNewSendsAsync(simulator);
        await WaitForNoLeasesAsync(jobId);

        var job = await ReadJobAsync(database, jobId);
        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        Assert.Equal(JobStatus.Canceled, job.Status);
        Assert.Equal(rows, job.Counters.SucceededRows + job.Counters.CanceledRows);
        Assert.Equal(recorded.Count(r => r.Status == RowStatus.Succeeded), job.Counters.SucceededRows);
        Assert.Equal(recorded.Count(r => r.Status == RowStatus.Canceled), job.Counters.CanceledRows);
        // Every request that was sent was answered and recorded.
        Assert.Equal(stats.Prompts.Values.Sum(p => p.Answered), job.Counters.SucceededRows);
        await worker.StopAsync();
    }

    /// <summary>A job of slow rows (100 ms each, 8 at a time) that has recorded its first 30.</summary>
    private async Task<(SimulatorServer Simulator, IHost Worker, Guid JobId)> StartSlowJobAsync(int rows)
    {
        var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 100);
        var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "8" }));
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);
        EnqueueStart(worker, jobId);
        await WaitUntilAsync(async () => (await ReadJobAsync(database, jobId)).Counters.SucceededRows >= 30, TimeSpan.FromSeconds(60), () => "30 rows");
        return (simulator, worker, jobId);
    }

    private static async Task AssertNoNewSendsAsync(SimulatorServer simulator)
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var after = simulator.GetStats().Prompts.Values.Sum(p => p.Sent);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(after, simulator.GetStats().Prompts.Values.Sum(p => p.Sent));
    }

    private Task WaitForNoLeasesAsync(Guid jobId) => WaitUntilAsync(
        async () => await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 1", jobId) == 0,
        TimeSpan.FromSeconds(30),
        () => "no leased rows");
}

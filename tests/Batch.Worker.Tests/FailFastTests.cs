using System.Text.Json;
using Batch.Data.Entities;
using Batch.Testing;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>A typo in the model pauses a job after its first rows instead of burning the file; a job with no succeeded row ends failed.</summary>
public class FailFastTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task The_first_rows_failing_alike_pause_the_job_across_processes_and_resume_goes_on_to_a_failed_end()
    {
        await using var simulator = await StartSimulatorAsync();
        // About ten requests a second, so the pause lands long before the file is spent.
        var settings = Settings(database, simulator, new() { ["Anthropic:Rpm"] = "600", ["Batch:Worker:MaxConcurrentRequests"] = "4" });
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var first = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        using var second = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        const int rows = 120;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);
        await ExecuteAsync(database, "UPDATE batch.jobs SET model = 'gpt-4o' WHERE id = $1", jobId);

        EnqueueStart(first, jobId);
        var paused = await WaitForStatusAsync(database, jobId, JobStatus.Paused);

        Assert.Contains("the first 10 rows all failed with the same error, not_found_error: model: gpt-4o", paused.StatusReason, StringComparison.Ordinal);
        Assert.Contains("resume", paused.StatusReason, StringComparison.Ordinal);
        await WaitUntilAsync(async () => await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 1", jobId) == 0,
            TimeSpan.FromSeconds(10), () => "the chunks to give their rows back");
        var sentBeforePause = simulator.GetStats().RequestsTotal;
        // Each of the two processes keeps at most the first 10 rows out until the look.
        Assert.InRange(sentBeforePause, 10, 20);
        Assert.True((await ReadJobAsync(database, jobId)).FirstRowsChecked);

        using var client = api.CreateClient();
        using var resumed = await client.PostAsync(new Uri($"/api/jobs/{jobId}/resume", UriKind.Relative), null);
        resumed.EnsureSuccessStatusCode();
        var ended = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        // Resumed, it went on through every row (no second pause) and ended failed, saying why.
        Assert.Equal((0, rows), (ended.Counters.SucceededRows, ended.Counters.FailedRows));
        Assert.Equal(rows, simulator.GetStats().RequestsTotal);
        Assert.Equal($"No row succeeded ({rows} failed). The first error: not_found_error: model: gpt-4o. Fix the spec and upload the file again, or retry the failed rows once the cause is gone.",
            ended.StatusReason);
        Assert.NotNull(ended.FinishedAt);
    }

    [Fact]
    public async Task A_typo_in_the_model_spends_only_the_first_rows_though_budget_and_concurrency_would_send_them_all()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const int rows = 300;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);
        await ExecuteAsync(database, "UPDATE batch.jobs SET model = 'gpt-4o' WHERE id = $1", jobId);

        EnqueueStart(worker, jobId);
        var paused = await WaitForStatusAsync(database, jobId, JobStatus.Paused);
        await WaitUntilAsync(async () => await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 1", jobId) == 0,
            TimeSpan.FromSeconds(10), () => "the chunk to give its rows back");

        Assert.StartsWith("Paused before sending the rest: the first 10 rows all failed", paused.StatusReason, StringComparison.Ordinal);
        Assert.Equal(10, simulator.GetStats().RequestsTotal);
        Assert.Equal((0, 10), (paused.Counters.SucceededRows, paused.Counters.FailedRows));
    }

    [Fact]
    public async Task Rows_failing_with_different_errors_do_not_pause_the_job_which_ends_failed()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        static string Params(int i) => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = i % 2 == 0 ? "gpt-even" : "gpt-odd",
            ["messages"] = new[] { new { role = "user", content = $"params row {i}" } },
            ["max_tokens"] = 16,
        });
        var jobId = await CreateParamsJobAsync(database, [.. Enumerable.Range(1, 30).Select(Params)]);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        Assert.Equal((0, 30), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.StartsWith("No row succeeded (30 failed). The first error: not_found_error: model: gpt-", job.StatusReason, StringComparison.Ordinal);
        Assert.Equal(30, simulator.GetStats().RequestsTotal);
        Assert.True(job.FirstRowsChecked);
    }

    [Fact]
    public async Task A_success_among_the_first_rows_keeps_the_job_running_to_completed()
    {
        await using var simulator = await StartSimulatorAsync();
        // One request at a time, so rows are recorded in file order: three successes, then 27 alike failures (max_tokens 0 is refused).
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "1" }));
        static string Params(int i) => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = new[] { new { role = "user", content = $"params row {i}" } },
            ["max_tokens"] = i <= 3 ? 16 : 0,
        });
        var jobId = await CreateParamsJobAsync(database, [.. Enumerable.Range(1, 30).Select(Params)]);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        Assert.Equal((3, 27), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.Null(job.StatusReason);
        Assert.True(job.FirstRowsChecked);
    }
}

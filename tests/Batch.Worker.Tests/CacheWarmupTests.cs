using System.Text.Json;
using Batch.Data.Entities;
using Batch.Testing;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>One cache warm-up per job and cache lifetime across worker processes, counted by the simulator's prompt cache.</summary>
public class CacheWarmupTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly string LongSystemPrompt =
        "You label product reviews as positive, negative or mixed. " + string.Concat(Enumerable.Repeat("Be consistent and brief. ", 250));

    [Fact]
    public async Task Two_processes_starting_one_job_at_once_write_its_cache_once()
    {
        // Slow enough to answer that both starts send while the first warm-up is still out.
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 400);
        // One control thread each: while one process runs the first start, the other takes the second.
        var settings = Settings(database, simulator, new() { ["Batch:Worker:ControlWorkers"] = "1", ["Batch:Worker:MaxConcurrentRequests"] = "16" });
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        await Task.WhenAll(first.WaitStartedAsync(), second.WaitStartedAsync());
        // "Application started" can come before a process's control server is registered and fetching: then the other
        // process may run both starts one after the other, and nothing here would race.
        await WaitUntilAsync(async () =>
        {
            await using var servers = database.DataSource.CreateCommand("SELECT count(*) FROM hangfire.server WHERE id LIKE '%:control:%'");
            return (long)(await servers.ExecuteScalarAsync())! >= 2;
        }, TimeSpan.FromSeconds(30), () => "both processes' control servers to be registered");
        const int rows = 60;
        var jobId = await CreateTemplateJobAsync(database, rows, LongSystemPrompt);

        EnqueueStart(database, jobId);
        EnqueueStart(database, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.All([first, second], worker => Assert.True(worker.Output.Any(line => line.Contains("' running:", StringComparison.Ordinal)),
            $"no start in this process's log:\n{string.Join('\n', worker.Output)}"));
        Assert.Equal(rows, job.Counters.SucceededRows);
        Assert.Equal((1L, rows - 1L), (stats.Cache.Writes, stats.Cache.Reads));
        Assert.Equal(job.Counters.CacheWrite5mTokens * (rows - 1), job.Counters.CacheReadTokens);
        await Task.WhenAll(first.StopAsync(), second.StopAsync());
    }

    [Fact]
    public async Task Params_rows_with_their_own_cache_breakpoint_warm_once_per_model()
    {
        // As a Message Batches batch sends them: every request carries the shared instructions with cache_control, and the
        // requests name two models, whose caches are apart (the text is over either model's minimum to cache).
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 400);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "32" }));
        const int rows = 60;
        static string Params(int i) => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = i % 2 == 0 ? "claude-sonnet-4-5" : "claude-haiku-4-5",
            ["max_tokens"] = 16,
            ["system"] = new[] { new Dictionary<string, object> { ["type"] = "text", ["text"] = string.Concat(Enumerable.Repeat(LongSystemPrompt, 4)), ["cache_control"] = new { type = "ephemeral" } } },
            ["messages"] = new[] { new { role = "user", content = $"Review {i}: fine." } },
        });
        var jobId = await CreateParamsJobAsync(database, [.. Enumerable.Range(1, rows).Select(Params)]);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal(rows, job.Counters.SucceededRows);
        Assert.Equal((2L, rows - 2L), (stats.Cache.Writes, stats.Cache.Reads));
    }
}

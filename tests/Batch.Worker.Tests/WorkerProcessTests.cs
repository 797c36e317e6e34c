using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Simulator;
using Batch.Testing;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Real worker processes (<c>dotnet Batch.Worker.dll</c>) sharing one job, one of them killed.</summary>
public class WorkerProcessTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_killed_worker_leaves_no_row_behind_and_no_row_recorded_twice()
    {
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 100);
        var settings = Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "16" });
        const int rows = 400;
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        await first.WaitStartedAsync();
        // Stored as uploads store rows: in blocks, expanded by whichever worker runs short of rows.
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, blockRows: 50);

        Enqueue(jobId);
        await WaitUntilAsync(async () => (await ReadJobAsync(database, jobId)).Counters.SucceededRows >= 100, TimeSpan.FromSeconds(60), () => "100 rows");
        first.Kill();
        var heldAtKill = await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 1", jobId);
        var recordedAtKill = (await ReadJobAsync(database, jobId)).Counters.SucceededRows;
        Assert.InRange(recordedAtKill, 100, rows - 1);
        Assert.InRange(heldAtKill, 1, rows);

        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(90));

        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        Assert.Equal((rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.All(recorded, row => Assert.Equal(RowStatus.Succeeded, row.Status));
        // Counted once each: the job's totals are exactly the sum of its rows.
        Assert.Equal(recorded.Sum(r => (long)r.OutputTokens), job.Counters.OutputTokens);
        Assert.Equal(recorded.Sum(r => (long)r.InputTokens), job.Counters.InputTokens);
        var prompts = Enumerable.Range(1, rows).Select(seq => stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))]).ToList();
        Assert.All(prompts, p => Assert.InRange(p.Sent, 1, 2));
        // Only rows the dead worker held (claimed, in flight, or answered but not yet written) were sent again.
        var resent = prompts.Sum(p => p.Sent - 1);
        Assert.InRange(resent, 0, heldAtKill);
        Assert.True(second.RecordedRows > 0, string.Join('\n', second.Output));
        await second.StopAsync();
    }

    [Fact]
    public async Task Two_worker_processes_split_the_rows_of_one_job()
    {
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 50);
        var settings = Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "8", ["Batch:Worker:ChunksPerServer"] = "4" });
        const int rows = 300;
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        await first.WaitStartedAsync();
        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        await second.WaitStartedAsync();
        // In blocks of 25 rows, so the two processes also race to expand them; each row must still be sent once.
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, blockRows: 25);

        Enqueue(jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(90));
        await Task.WhenAll(first.StopAsync(), second.StopAsync());

        var stats = simulator.GetStats();
        Assert.Equal(rows, job.Counters.SucceededRows);
        Assert.True(first.RecordedRows > 0 && second.RecordedRows > 0, $"first recorded {first.RecordedRows}, second {second.RecordedRows}");
        Assert.Equal(rows, first.RecordedRows + second.RecordedRows);
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(new PromptCounts(1, 1), stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))]));
        Assert.Equal(0, await ScalarAsync(database, "SELECT count(*) FROM batch.job_input_blocks WHERE job_id = $1", jobId));
    }

    /// <summary>Enqueues the job's start through Hangfire's storage, as the API does.</summary>
    private void Enqueue(Guid jobId)
    {
        // Hangfire's log provider is process-wide; an in-process host of an earlier test may have left a disposed one behind.
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
        var options = new PostgreSqlStorageOptions { SchemaName = PostgresServer.HangfireSchema, PrepareSchemaIfNecessary = false };
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(database.ConnectionString, options), options);
        new BackgroundJobClient(storage).Enqueue<IJobRunner>(BatchQueues.Control, runner => runner.StartAsync(jobId, "test job", CancellationToken.None));
    }
}

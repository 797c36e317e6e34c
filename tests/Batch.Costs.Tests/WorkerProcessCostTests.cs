using Batch.Data.Entities;
using Batch.Testing;
using Batch.Worker.Tests;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Costs.Tests;

/// <summary>
/// Three real worker processes (<c>dotnet Batch.Worker.dll</c>) on one job, one of them killed with SIGKILL mid-job:
/// the rollup stays equal to the rows, and a capped job stops at or below its cap and heals the dead process's reservations.
/// </summary>
public class WorkerProcessCostTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task The_rollup_stays_exact_under_three_processes_and_a_kill()
    {
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 60);
        var settings = Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "16", ["Batch:Worker:ChunksPerServer"] = "2" });
        const int rows = 600;
        var spentBefore = await MonthSpendAsync();
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        using var third = WorkerProcess.Start(database.ConnectionString, settings);
        await Task.WhenAll(first.WaitStartedAsync(), second.WaitStartedAsync(), third.WaitStartedAsync());
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, blockRows: 50);

        EnqueueStart(database, jobId);
        await WaitUntilAsync(async () => (await ReadJobAsync(database, jobId)).Counters.SucceededRows >= 150, TimeSpan.FromSeconds(60), () => "150 rows");
        first.Kill();
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(120));
        await Task.WhenAll(second.StopAsync(), third.StopAsync());

        var recorded = await RecordedRow.ReadAsync(database, jobId);
        Assert.Equal(rows, recorded.Count);
        var rollup = await RollupAsync(jobId);
        Assert.Equal(rows, rollup.Rows);
        Assert.Equal(
            (recorded.Sum(r => r.Input), recorded.Sum(r => r.CacheWrite5m), recorded.Sum(r => r.CacheWrite1h), recorded.Sum(r => r.CacheRead), recorded.Sum(r => r.Output)),
            (rollup.Input, rollup.CacheWrite5m, rollup.CacheWrite1h, rollup.CacheRead, rollup.Output));
        Assert.Equal(recorded.Sum(r => r.CostUsd), rollup.CostUsd);
        Assert.Equal(job.Counters.CostUsd, rollup.CostUsd);
        Assert.True(job.Counters.CostUsd > 0);
        // Attempts the dead process sent for rows it never recorded are not in the rollup; every recorded row's are.
        Assert.InRange(rollup.Requests, rows, recorded.Sum(r => r.Attempts));
        Assert.Equal(job.Counters.CostUsd, await MonthSpendAsync() - spentBefore);
    }

    [Fact]
    public async Task A_capped_job_run_by_three_processes_stops_at_or_below_its_cap_and_heals_after_a_kill()
    {
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 60);
        var settings = Settings(database, simulator, new() { ["Batch:Worker:MaxConcurrentRequests"] = "16", ["Batch:Worker:ChunksPerServer"] = "2" });
        const int rows = 400;
        // About 0.00024 USD a row: the cap stops the job at about a third of its rows.
        const decimal cap = 0.03m;
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        using var third = WorkerProcess.Start(database.ConnectionString, settings);
        await Task.WhenAll(first.WaitStartedAsync(), second.WaitStartedAsync(), third.WaitStartedAsync());
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, blockRows: 50);
        await ExecuteAsync(database, $"UPDATE batch.jobs SET max_cost_usd = {cap} WHERE id = $1", jobId);

        EnqueueStart(database, jobId);
        // Killed while it holds reservations on rows in flight.
        await WaitUntilAsync(async () => await ReservedAsync(jobId, live: true) > 0 && (await ReadJobAsync(database, jobId)).Counters.SucceededRows >= 20,
            TimeSpan.FromSeconds(60), () => "20 rows and reservations in flight");
        first.Kill();
        var paused = await WaitForStatusAsync(database, jobId, JobStatus.Paused, TimeSpan.FromSeconds(120));

        Assert.Contains("max_cost_usd", paused.StatusReason, StringComparison.Ordinal);
        Assert.InRange(paused.Counters.CostUsd, cap * 0.9m, cap);
        Assert.True(paused.Counters.SucceededRows < rows);
        // The dead process's reservations end with its leases: nothing stays reserved once the job has stopped.
        await WaitUntilAsync(async () => await ReservedAsync(jobId, live: false) == 0, TimeSpan.FromSeconds(60), () => "reservations of the dead process to end");
        // Rows the live processes had in flight, within their reservations, may be recorded after the pause was read:
        // the counts are compared once nothing is in flight.
        var stopped = await ReadJobAsync(database, jobId);
        Assert.Equal(JobStatus.Paused, stopped.Status);
        Assert.True(stopped.Counters.SucceededRows >= paused.Counters.SucceededRows);
        var recorded = await RecordedRow.ReadAsync(database, jobId);
        Assert.Equal(stopped.Counters.SucceededRows + stopped.Counters.FailedRows, recorded.Count);
        Assert.InRange(recorded.Sum(r => r.CostUsd), 0, cap);
        Assert.Equal(recorded.Sum(r => r.CostUsd), stopped.Counters.CostUsd);
        Assert.Equal((await RollupAsync(jobId)).CostUsd, stopped.Counters.CostUsd);

        // A higher cap and a resume: the rest of the rows run, and the new cap holds too.
        const decimal raised = 1m;
        await ExecuteAsync(database, $"UPDATE batch.jobs SET max_cost_usd = {raised}, status = 0, status_reason = NULL WHERE id = $1", jobId);
        EnqueueStart(database, jobId);
        var done = await WaitForStatusAsync(database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(120));
        await Task.WhenAll(second.StopAsync(), third.StopAsync());
        Assert.Equal(rows, done.Counters.SucceededRows);
        Assert.InRange(done.Counters.CostUsd, 0, raised);
        Assert.Equal(done.Counters.CostUsd, (await RecordedRow.ReadAsync(database, jobId)).Sum(r => r.CostUsd));
        Assert.Equal(0, await ReservedAsync(jobId, live: false));
    }

    private sealed record Rollup(long Rows, long Requests, long Input, long CacheWrite5m, long CacheWrite1h, long CacheRead, long Output, decimal CostUsd);

    private async Task<Rollup> RollupAsync(Guid jobId)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT coalesce(sum(rows), 0)::bigint, coalesce(sum(requests), 0)::bigint, coalesce(sum(input_tokens), 0)::bigint,
                   coalesce(sum(cache_write_5m_tokens), 0)::bigint, coalesce(sum(cache_write_1h_tokens), 0)::bigint,
                   coalesce(sum(cache_read_tokens), 0)::bigint, coalesce(sum(output_tokens), 0)::bigint, coalesce(sum(cost_usd), 0)
            FROM batch.cost_rollups WHERE job_id = $1
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Rollup(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetDecimal(7));
    }

    /// <summary>What rows in flight have reserved (only those whose lease is live, or all leased ones).</summary>
    private async Task<decimal> ReservedAsync(Guid jobId, bool live)
    {
        await using var command = database.DataSource.CreateCommand(
            $"SELECT coalesce(sum(reserved_usd), 0) FROM batch.job_rows WHERE job_id = $1 AND status = 1{(live ? " AND lease_expires_at > now()" : "")}");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
        return (decimal)(await command.ExecuteScalarAsync())!;
    }

    private async Task<decimal> MonthSpendAsync()
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT coalesce(sum(cost_usd), 0) FROM batch.account_monthly_spend WHERE month = (date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC')::date");
        return (decimal)(await command.ExecuteScalarAsync())!;
    }
}

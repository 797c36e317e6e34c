using System.Globalization;
using System.Text.RegularExpressions;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Testing;
using Batch.Worker.Execution;
using Npgsql;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>
/// How PostgreSQL runs the statements that claim rows and write results, which run many times a second on a busy job,
/// when its statistics are stale, as they always are on a table whose rows change status by the thousand a second.
/// </summary>
public class HotPathPlanTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Writing_results_does_not_read_every_leased_row_of_the_job_for_each_row_written()
    {
        // The worker migrates the database and writes its default account; the job is never started.
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString);
        var jobId = await CreateTemplateJobAsync(database, 5_000, systemPrompt: null);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        // The statistics are taken while no row is leased, as autovacuum may find them between two jobs: the partial index
        // of leased rows then looks nearly empty, and a join through it by job_id looks cheap.
        await ExecuteAsync(connection, "ANALYZE batch.job_rows");
        var lease = Guid.CreateVersion7();
        await using (var claim = new NpgsqlCommand(
            "UPDATE batch.job_rows SET status = 1, lease_token = $2, lease_expires_at = now() + interval '1 hour' WHERE job_id = $1 AND seq <= 1000", connection))
        {
            claim.Parameters.Add(new() { Value = jobId });
            claim.Parameters.Add(new() { Value = lease });
            Assert.Equal(1000, await claim.ExecuteNonQueryAsync());
        }

        var results = Enumerable.Range(1, 200)
            .Select(seq => new RowResult(jobId, seq, lease, RowStatus.Succeeded, 1, new TokenUsage(10, 0, 0, 0, 5), 0.0001m,
                OutputContent: """[{"type":"text","text":"positive"}]""", OutputText: "positive", Model: "claude-sonnet-4-5"))
            .ToArray();
        // Run, and measured, inside a transaction that is rolled back.
        await using var transaction = await connection.BeginTransactionAsync();
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, TIMING OFF) " + ResultWriter.FlushSql, connection, transaction);
        ResultWriter.AddFlushParameters(explain, results);
        var plan = await ReadFirstColumnAsync(explain);
        await transaction.RollbackAsync();

        var text = string.Join('\n', plan);
        Assert.True(text.Contains("Update on job_rows r", StringComparison.Ordinal), text);
        // A join on job_id alone, with seq as a filter, pairs each written row with every leased row of the job: 200 x 1,000.
        var removed = Sum(plan, @"Rows Removed by Join Filter: (\d+)");
        Assert.True(removed < results.Length, $"{removed} leased rows were read and thrown away to write {results.Length}:\n{text}");
        Assert.DoesNotContain("ix_job_rows_leased", text, StringComparison.Ordinal);
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_claim_late_in_a_job_reads_about_the_rows_it_claims_not_every_row_done_so_far()
    {
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString);
        var jobId = await CreateTemplateJobAsync(database, 5_000, systemPrompt: null);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        // Statistics from when every row was pending; since then 4,000 rows were done and 300 are in flight.
        await ExecuteAsync(connection, "ANALYZE batch.job_rows");
        await ExecuteAsync(connection, $"UPDATE batch.job_rows SET status = 2, completed_at = now() WHERE job_id = '{jobId}' AND seq <= 4000");
        await ExecuteAsync(connection,
            $"UPDATE batch.job_rows SET status = 1, lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 hour' WHERE job_id = '{jobId}' AND seq BETWEEN 4001 AND 4300");

        await using var transaction = await connection.BeginTransactionAsync();
        // Whichever index the planner takes: without the partial index of pending rows (dropped only inside this
        // transaction), the primary key is left, and read from the job's first row it walks the 4,000 done rows.
        await using (var drop = new NpgsqlCommand("DROP INDEX batch.ix_job_rows_pending", connection, transaction))
        {
            await drop.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, TIMING OFF) " + RowStore.ClaimSql, connection, transaction);
        AddClaimParameters(explain, jobId, after: 4300);
        var plan = await ReadFirstColumnAsync(explain);
        await transaction.RollbackAsync();

        var text = string.Join('\n', plan);
        Assert.Contains("Update on job_rows r", text, StringComparison.Ordinal);
        Assert.Matches(@"Update on job_rows r .*\(actual rows=100 ", text);
        var read = Sum(plan, @"Rows Removed by (?:Join )?Filter: (\d+)");
        Assert.True(read < 500, $"{read} rows were read and thrown away to claim 100:\n{text}");
        await worker.StopAsync();
    }

    [Fact]
    public async Task Only_the_primary_key_finds_a_jobs_rows_by_job_id_alone()
    {
        // A job's rows are estimated at about one until autovacuum analyzes the table after they arrive: a job the statistics
        // have not seen. Any index led by job_id then costs the same as the primary key to find one row by (job_id, seq), and
        // the planner may take it, reading every row of the job for each row the claim updates (seen with auto_explain: the
        // claim's update through the custom_id index, 60 ms a claim, at 2,000 rows/s). So no index but the primary key may
        // lead with job_id unless it is partial, and its predicate keeps it out of statements that do not name it.
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = 'batch.job_rows'::regclass AND a.attname = 'job_id' AND i.indpred IS NULL
            """, connection);
        var led = await ReadFirstColumnAsync(command);

        Assert.Equal(["pk_job_rows"], led);
        await worker.StopAsync();
    }

    private static void AddClaimParameters(NpgsqlCommand claim, Guid jobId, int after)
    {
        claim.Parameters.Add(new() { Value = jobId });
        claim.Parameters.Add(new() { Value = 100 });
        claim.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        claim.Parameters.Add(new() { Value = TimeSpan.FromMinutes(2), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        claim.Parameters.Add(new() { Value = after });
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ReadFirstColumnAsync(NpgsqlCommand command)
    {
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }
        return plan;
    }

    private static long Sum(IEnumerable<string> plan, string pattern) =>
        plan.Select(line => Regex.Match(line, pattern)).Where(m => m.Success).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}

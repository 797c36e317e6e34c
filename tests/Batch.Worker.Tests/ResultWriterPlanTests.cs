using System.Globalization;
using System.Text.RegularExpressions;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Testing;
using Batch.Worker.Execution;
using Npgsql;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>How PostgreSQL runs the statement that writes results: it runs hundreds of times a second on a busy job.</summary>
public class ResultWriterPlanTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Writing_results_does_not_read_every_leased_row_of_the_job_for_each_row_written()
    {
        // The statistics are taken while no row is leased, as autovacuum may find them between two jobs: the partial index
        // of leased rows then looks nearly empty, and a join through it by job_id looks cheap.
        // The worker migrates the database and writes its default account; the job is never started.
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString);
        var jobId = await CreateTemplateJobAsync(database, 5_000, systemPrompt: null);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var analyze = new NpgsqlCommand("ANALYZE batch.job_rows", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }
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
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }
        await transaction.RollbackAsync();

        var text = string.Join('\n', plan);
        Assert.True(text.Contains("Update on job_rows r", StringComparison.Ordinal), text);
        // A join on job_id alone, with seq as a filter, pairs each written row with every leased row of the job: 200 x 1,000.
        var removed = plan.Select(line => Regex.Match(line, @"Rows Removed by Join Filter: (\d+)")).Where(m => m.Success).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.True(removed < results.Length, $"{removed} leased rows were read and thrown away to write {results.Length}:\n{text}");
        Assert.DoesNotContain("ix_job_rows_leased", text, StringComparison.Ordinal);
        await worker.StopAsync();
    }
}

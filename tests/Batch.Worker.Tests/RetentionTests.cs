using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Telemetry;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Retention and deleting jobs: in batches of rows, never touching what was spent.</summary>
public class RetentionTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Retention_deletes_jobs_past_their_retention_in_batches_and_keeps_their_spend()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Retention:BatchRows"] = "1000" }));
        var expired = await EndedJobAsync("test", rows: 12_000, endedDaysAgo: 40);
        var recent = await EndedJobAsync("test", rows: 10, endedDaysAgo: 2);
        var keptLonger = await EndedJobAsync("archive", rows: 10, endedDaysAgo: 40);
        await using (var db = database.CreateContext())
        {
            db.ProjectSettings.Add(new ProjectSetting { Project = "archive", RetentionDays = 365, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var batches = new ConcurrentQueue<long>();
        using var listener = Listen(worker.Services.GetRequiredService<BatchMetrics>().Meter, "batch.retention.deleted_rows", batches);

        await worker.Services.GetRequiredService<IRetentionRunner>().RunAsync(CancellationToken.None);

        await using (var db = database.CreateContext())
        {
            Assert.False(await db.Jobs.AnyAsync(j => j.Id == expired));
            Assert.Equal(0, await db.JobRows.CountAsync(r => r.JobId == expired));
            Assert.True(await db.Jobs.AnyAsync(j => j.Id == recent));
            Assert.True(await db.Jobs.AnyAsync(j => j.Id == keptLonger));
            Assert.Equal(10, await db.JobRows.CountAsync(r => r.JobId == keptLonger));
            // Money history stays: the rollup of the deleted job.
            Assert.Equal(12.5m, (await db.CostRollups.SingleAsync(c => c.JobId == expired)).CostUsd);
        }
        Assert.Equal(12, batches.Count);
        Assert.All(batches, rows => Assert.Equal(1000, rows));
    }

    [Fact]
    public async Task Deleting_a_large_job_answers_202_hides_it_at_once_and_deletes_it_in_the_background()
    {
        await using var simulator = await StartSimulatorAsync();
        var settings = Settings(database, simulator, new() { ["Batch:Retention:InlineDeleteRows"] = "100", ["Batch:Retention:BatchRows"] = "500" });
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        var large = await EndedJobAsync("test", rows: 3000, endedDaysAgo: 0);
        var small = await EndedJobAsync("test", rows: 20, endedDaysAgo: 0);
        using var client = api.CreateClient();

        using var deletedLarge = await client.DeleteAsync(new Uri($"/api/jobs/{large}", UriKind.Relative));
        using var goneAtOnce = await client.GetAsync(new Uri($"/api/jobs/{large}", UriKind.Relative));
        using var deletedSmall = await client.DeleteAsync(new Uri($"/api/jobs/{small}", UriKind.Relative));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.NotFound, HttpStatusCode.NoContent), (deletedLarge.StatusCode, goneAtOnce.StatusCode, deletedSmall.StatusCode));
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM batch.jobs WHERE id = $1", small));
        await WaitUntilAsync(async () => await ScalarAsync(database, "SELECT count(*) FROM batch.jobs WHERE id = $1", large) == 0,
            TimeSpan.FromSeconds(60), () => "the large job to be deleted");
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1", large));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM batch.cost_rollups WHERE job_id = $1", large));
    }

    /// <summary>A completed job of <paramref name="rows"/> recorded rows that ended that many days ago, with a cost rollup row.</summary>
    private async Task<Guid> EndedJobAsync(string project, int rows, int endedDaysAgo)
    {
        var jobId = await CreateTemplateJobAsync(database, 0, systemPrompt: null);
        await using var command = database.DataSource.CreateCommand($"""
            WITH job AS (
                UPDATE batch.jobs SET project = $2, status = {(short)JobStatus.Completed}, row_count = $3, succeeded_rows = $3,
                    started_at = now() - make_interval(days => $4) - interval '1 hour', finished_at = now() - make_interval(days => $4)
                WHERE id = $1 RETURNING id, account_id, model),
            rows AS (
                INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, input_tokens, cache_write5m_tokens,
                    cache_write1h_tokens, cache_read_tokens, output_tokens, output_text)
                SELECT $1, seq, 'row-' || seq, jsonb_build_object('id', '1', 'text', 'fine'), {(short)RowStatus.Succeeded}, 1, 10, 0, 0, 0, 5, 'positive'
                FROM generate_series(1, $3) seq)
            INSERT INTO batch.cost_rollups (hour, project, account_id, model, job_id, rows, requests, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, cache_savings_usd, batch_savings_usd)
            SELECT date_trunc('hour', now() - make_interval(days => $4)), $2, account_id, model, id, $3, $3, 10 * $3, 0, 0, 0, 5 * $3, 12.5, 0, 0 FROM job
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = project });
        command.Parameters.Add(new() { Value = rows });
        command.Parameters.Add(new() { Value = endedDaysAgo });
        await command.ExecuteNonQueryAsync();
        return jobId;
    }

    private static MeterListener Listen(Meter meter, string instrument, ConcurrentQueue<long> values)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (published, l) =>
            {
                if (published.Meter == meter && published.Name == instrument)
                {
                    l.EnableMeasurementEvents(published);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => values.Enqueue(value));
        listener.Start();
        return listener;
    }
}

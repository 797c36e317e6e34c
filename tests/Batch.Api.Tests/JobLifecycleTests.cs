using System.Net;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Tests;

public class JobLifecycleTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Pause_resume_and_cancel_move_the_job_and_refuse_the_wrong_state_with_409()
    {
        using var client = fixture.Api.CreateClient();
        var id = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(5));
        await Uploads.ExpandRowsAsync(fixture.Database, id);

        Assert.Equal("paused", await ActAsync(client, id, "pause", HttpStatusCode.OK));
        Assert.Contains("only queued or running", await RefusedAsync(client, id, "pause"), StringComparison.Ordinal);
        Assert.Equal("queued", await ActAsync(client, id, "resume", HttpStatusCode.OK));
        Assert.Contains("only paused", await RefusedAsync(client, id, "resume"), StringComparison.Ordinal);

        await SqlAsync($"UPDATE batch.job_rows SET status = 1 WHERE job_id = '{id}' AND seq = 1");
        Assert.Equal("canceled", await ActAsync(client, id, "cancel", HttpStatusCode.OK));
        Assert.Contains("is canceled", await RefusedAsync(client, id, "cancel"), StringComparison.Ordinal);

        await using var db = fixture.Database.CreateContext();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
        Assert.Equal(4, job.Counters.CanceledRows);
        Assert.Equal(4, await db.JobRows.CountAsync(r => r.JobId == id && r.Status == RowStatus.Canceled));
        // The row a worker holds is left for the worker to record.
        Assert.Equal(RowStatus.Leased, (await db.JobRows.SingleAsync(r => r.JobId == id && r.Seq == 1)).Status);
    }

    [Fact]
    public async Task Cancel_turns_rows_still_in_uploaded_blocks_into_canceled_rows()
    {
        using var client = fixture.Api.CreateClient();
        // Three blocks; a worker has expanded the first and holds its first row.
        var id = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(1200));
        Assert.Equal(500, await JobInputBlocks.MaterializeNextAsync(fixture.Database.DataSource, id, 1, CancellationToken.None));
        await SqlAsync($"UPDATE batch.job_rows SET status = 1 WHERE job_id = '{id}' AND seq = 1");

        Assert.Equal("canceled", await ActAsync(client, id, "cancel", HttpStatusCode.OK));

        await using var db = fixture.Database.CreateContext();
        Assert.Equal(1199, (await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id)).Counters.CanceledRows);
        Assert.False(await db.JobInputBlocks.AnyAsync(b => b.JobId == id));
        var seqs = await db.JobRows.Where(r => r.JobId == id && r.Status == RowStatus.Canceled).OrderBy(r => r.Seq).Select(r => r.Seq).ToListAsync();
        Assert.Equal(Enumerable.Range(2, 1199), seqs);
        Assert.Equal(RowStatus.Leased, (await db.JobRows.SingleAsync(r => r.JobId == id && r.Seq == 1)).Status);
    }

    [Fact]
    public async Task Retry_failed_puts_failed_rows_back_and_queues_the_job()
    {
        using var client = fixture.Api.CreateClient();
        var id = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(4));
        await Uploads.ExpandRowsAsync(fixture.Database, id);
        Assert.Contains("is queued", await RefusedAsync(client, id, "retry-failed"), StringComparison.Ordinal);

        await SqlAsync($"""
            UPDATE batch.job_rows SET status = 3, error_type = 'invalid_request_error', error_message = 'bad', attempts = 1 WHERE job_id = '{id}' AND seq <= 2;
            UPDATE batch.job_rows SET status = 2 WHERE job_id = '{id}' AND seq > 2;
            UPDATE batch.jobs SET status = 4, failed_rows = 2, succeeded_rows = 2, finished_at = now() WHERE id = '{id}';
            """);

        Assert.Equal("queued", await ActAsync(client, id, "retry-failed", HttpStatusCode.OK));

        var job = await GetAsync(client, id);
        Assert.Equal(0, job.GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.Equal(2, job.GetProperty("counts").GetProperty("pending").GetInt32());
        await using var db = fixture.Database.CreateContext();
        var retried = await db.JobRows.Where(r => r.JobId == id && r.Seq <= 2).ToListAsync();
        Assert.All(retried, r => Assert.Equal((RowStatus.Pending, null, (short)0), (r.Status, r.ErrorMessage, r.Attempts)));

        await SqlAsync($"UPDATE batch.jobs SET status = 3 WHERE id = '{id}'");
        Assert.Contains("no failed rows", await RefusedAsync(client, id, "retry-failed"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_finished_jobs_can_be_deleted_and_their_rows_go_with_them()
    {
        using var client = fixture.Api.CreateClient();
        var id = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(3));

        using (var running = await client.DeleteAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
            Assert.Contains("Cancel it first", (await Uploads.JsonAsync(running)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        await ActAsync(client, id, "cancel", HttpStatusCode.OK);
        using (var deleted = await client.DeleteAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var gone = await client.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        await using var db = fixture.Database.CreateContext();
        Assert.Equal(0, await db.JobRows.CountAsync(r => r.JobId == id));
        Assert.Equal(0, await db.JobInputBlocks.CountAsync(b => b.JobId == id));
    }

    [Fact]
    public async Task Status_shows_counts_tokens_cost_progress_and_time_left_from_the_counters()
    {
        using var client = fixture.Api.CreateClient();
        var id = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(10));
        await Uploads.ExpandRowsAsync(fixture.Database, id);
        await SqlAsync($"""
            UPDATE batch.job_rows SET status = 2 WHERE job_id = '{id}' AND seq <= 4;
            UPDATE batch.job_rows SET status = 3 WHERE job_id = '{id}' AND seq = 5;
            UPDATE batch.job_rows SET status = 1, lease_expires_at = now() + interval '1 minute' WHERE job_id = '{id}' AND seq IN (6, 7, 8);
            -- Two live chunks hold 2 claimed and 1 in flight; a dead one's report (past its time) is left out.
            INSERT INTO batch.job_chunk_activity (job_id, chunk_id, claimed, in_flight, expires_at) VALUES
                ('{id}', gen_random_uuid(), 1, 1, now() + interval '5 seconds'),
                ('{id}', gen_random_uuid(), 1, 0, now() + interval '5 seconds'),
                ('{id}', gen_random_uuid(), 7, 7, now() - interval '1 second');
            UPDATE batch.jobs SET status = 1, started_at = now() - interval '50 seconds', succeeded_rows = 4, failed_rows = 1,
                input_tokens = 100, cache_write_5m_tokens = 20, cache_write_1h_tokens = 0, cache_read_tokens = 300, output_tokens = 40, cost_usd = 0.0123
            WHERE id = '{id}';
            """);

        var job = await GetAsync(client, id);

        Assert.Equal("running", job.GetProperty("status").GetString());
        var counts = job.GetProperty("counts");
        Assert.Equal((2, 2, 1, 4, 1, 0), (counts.GetProperty("pending").GetInt32(), counts.GetProperty("claimed").GetInt32(),
            counts.GetProperty("in_flight").GetInt32(), counts.GetProperty("succeeded").GetInt32(), counts.GetProperty("failed").GetInt32(),
            counts.GetProperty("canceled").GetInt32()));
        var tokens = job.GetProperty("tokens");
        Assert.Equal((100L, 20L, 300L, 40L), (tokens.GetProperty("input").GetInt64(), tokens.GetProperty("cache_write_5m").GetInt64(),
            tokens.GetProperty("cache_read").GetInt64(), tokens.GetProperty("output").GetInt64()));
        Assert.Equal(0.0123m, job.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(5, job.GetProperty("progress").GetProperty("done").GetInt32());
        Assert.Equal(0.5, job.GetProperty("progress").GetProperty("fraction").GetDouble());
        // 5 rows in 50 s: the other 5 take about 50 s more.
        Assert.InRange(job.GetProperty("estimated_seconds_left").GetDouble(), 45, 60);
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first_in_pages_and_filtered_by_status()
    {
        using var client = fixture.Api.CreateClient();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(1)));
        }
        await ActAsync(client, ids[1], "pause", HttpStatusCode.OK);

        var seen = new List<Guid>();
        string? after = null;
        do
        {
            using var response = await client.GetAsync(new Uri($"/api/jobs?limit=2{(after is null ? "" : $"&after={after}")}", UriKind.Relative));
            var page = await Uploads.JsonAsync(response);
            Assert.InRange(page.GetProperty("data").GetArrayLength(), 1, 2);
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));
            after = page.GetProperty("has_more").GetBoolean() ? page.GetProperty("last_id").GetString() : null;
        }
        while (after is not null);
        var mine = seen.Where(ids.Contains).ToList();
        Assert.Equal(Enumerable.Reverse(ids), mine);
        Assert.Equal(seen.Count, seen.Distinct().Count());

        using var paused = await client.GetAsync(new Uri("/api/jobs?status=paused", UriKind.Relative));
        var pausedIds = (await Uploads.JsonAsync(paused)).GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(ids[1], pausedIds);
        Assert.DoesNotContain(ids[0], pausedIds);

        using var bad = await client.GetAsync(new Uri("/api/jobs?status=sleeping", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private async Task SqlAsync(string sql)
    {
        await using var command = fixture.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, Guid id)
    {
        using var response = await client.GetAsync(new Uri($"/api/jobs/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Uploads.JsonAsync(response);
    }

    private static async Task<string?> ActAsync(HttpClient client, Guid id, string action, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(new Uri($"/api/jobs/{id}/{action}", UriKind.Relative), null);
        var body = await Uploads.JsonAsync(response);
        Assert.True(response.StatusCode == expected, $"{action}: {(int)response.StatusCode} {body}");
        return body.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? status.GetString() : null;
    }

    private static async Task<string> RefusedAsync(HttpClient client, Guid id, string action)
    {
        using var response = await client.PostAsync(new Uri($"/api/jobs/{id}/{action}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        return (await Uploads.JsonAsync(response)).GetProperty("detail").GetString()!;
    }
}

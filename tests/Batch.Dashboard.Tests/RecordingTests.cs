using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Api.Tests;
using Batch.Data.Entities;
using Batch.Worker.Tests;
using Microsoft.EntityFrameworkCore;

namespace Batch.Dashboard.Tests;

/// <summary>
/// What the dashboard reads instead of the rows: the per-minute samples and error counts the result writer keeps in the
/// statement that records rows, and the live data the pages refresh from.
/// </summary>
public class RecordingTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task Minute_samples_and_error_counts_add_up_to_the_jobs_counters_and_retrying_starts_the_errors_again()
    {
        using var admin = fixture.Api.CreateClient();
        // Good rows first, so the first rows recorded are not all alike failures (which would pause the job).
        var lines = Enumerable.Range(1, 15).Select(i => Line($"ok-{i}", WorkerTestKit.Model))
            .Concat(Enumerable.Range(1, 5).Select(i => Line($"typo-{i}", "gpt-typo")));
        var jobId = await Uploads.CreateJobAsync(admin, """{"name": "Mixed models", "max_tokens": 16}""", string.Join('\n', lines), "rows.jsonl");
        var job = await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed);

        await using var db = fixture.Database.CreateContext();
        var minutes = await db.JobMinutes.AsNoTracking().Where(m => m.JobId == jobId).ToListAsync();
        var errors = await db.JobErrorCounts.AsNoTracking().Where(e => e.JobId == jobId).ToListAsync();
        var live = await admin.GetFromJsonAsync<JsonElement>(new Uri($"/hangfire/batches/{jobId}/live", UriKind.Relative));

        var c = job.Counters;
        Assert.Equal((15, 5), (minutes.Sum(m => m.SucceededRows), minutes.Sum(m => m.FailedRows)));
        Assert.Equal(
            (c.InputTokens, c.CacheWrite5mTokens, c.CacheWrite1hTokens, c.CacheReadTokens, c.OutputTokens, c.CostUsd),
            (minutes.Sum(m => m.InputTokens), minutes.Sum(m => m.CacheWrite5mTokens), minutes.Sum(m => m.CacheWrite1hTokens),
             minutes.Sum(m => m.CacheReadTokens), minutes.Sum(m => m.OutputTokens), minutes.Sum(m => m.CostUsd)));
        var error = Assert.Single(errors);
        Assert.Equal(("not_found_error", 5), (error.ErrorType, error.Rows));
        Assert.Contains("gpt-typo", error.SampleMessage, StringComparison.Ordinal);
        Assert.Contains("<code>not_found_error</code>", live.GetProperty("regions").GetProperty("errors").GetString(), StringComparison.Ordinal);
        Assert.Equal(20, live.GetProperty("charts").GetProperty("rows").GetProperty("series").EnumerateArray()
            .Sum(s => s.GetProperty("values").EnumerateArray().Sum(v => v.GetDouble())));

        using var retry = await admin.PostAsync(new Uri($"/api/jobs/{jobId}/retry-failed", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed);
        // The five rows failed again: five, not ten, because retrying cleared the counts with the rows' errors.
        Assert.Equal(5, await db.JobErrorCounts.AsNoTracking().Where(e => e.JobId == jobId).SumAsync(e => e.Rows));
        Assert.Equal(25, await db.JobMinutes.AsNoTracking().Where(m => m.JobId == jobId).SumAsync(m => m.SucceededRows + m.FailedRows));
    }

    [Fact]
    public async Task Every_page_answers_an_admin_key_and_an_unknown_batch_is_a_404()
    {
        using var admin = fixture.Api.CreateClient();
        var jobId = await Uploads.CreateJobAsync(admin, """{"name": "Pages", "model": "claude-sonnet-4-5", "template": "Say {{text}}", "max_tokens": 16}""", Uploads.Csv(3));
        await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed);

        foreach (var (path, expected) in new[]
        {
            ("/hangfire/batches?status=completed&project=admin", "Pages"), ($"/hangfire/batches/{jobId}", "Latest results"),
            ("/hangfire/budgets", "sonnet-4"), ("/hangfire/costs", "By model"), ("/hangfire/batches/live", "Pages"),
        })
        {
            using var answer = await admin.GetAsync(new Uri(path, UriKind.Relative));
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{path}: {(int)answer.StatusCode}");
            Assert.Contains(expected, body, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Simulator.ApiKey, body, StringComparison.Ordinal);
            Assert.DoesNotContain("Password=", body, StringComparison.Ordinal);
        }
        using var unknown = await admin.GetAsync(new Uri($"/hangfire/batches/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static string Line(string customId, string model) => JsonSerializer.Serialize(new
    {
        custom_id = customId,
        @params = new { model, max_tokens = 16, messages = new[] { new { role = "user", content = $"Say {customId}" } } },
    });
}

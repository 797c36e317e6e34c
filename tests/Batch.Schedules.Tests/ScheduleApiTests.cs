using System.Net;
using Batch.Jobs;
using static Batch.Schedules.Tests.ScheduleRequests;

namespace Batch.Schedules.Tests;

/// <summary><c>/api/schedules</c>: validation, project visibility, and the Hangfire recurring job each enabled schedule is.</summary>
public class ScheduleApiTests(SchedulesFixture fixture) : IClassFixture<SchedulesFixture>
{
    [Theory]
    [InlineData("61 * * * *", "UTC", "cron")]
    [InlineData("0 6 * *", "UTC", "cron")]
    [InlineData("0 0 6 * * 1-5", "UTC", "cron")]
    [InlineData("every day", "UTC", "cron")]
    [InlineData("0 6 * * 1-5", "Mars/Olympus_Mons", "time_zone")]
    [InlineData("0 6 * * 1-5", "", "time_zone")]
    public async Task A_bad_cron_or_time_zone_is_422_naming_the_field_and_stores_nothing(string cron, string timeZone, string field)
    {
        using var client = await fixture.ProjectClientAsync("validation");
        var source = await CreateSourceJobAsync(client, 2);

        var (status, problem) = await SendAsync(client, HttpMethod.Post, "", new { name = "Nightly", cron, time_zone = timeZone, source_job_id = source });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(field, ErrorField(problem));
        var (_, listed) = await SendAsync(client, HttpMethod.Get, "");
        Assert.Equal(0, listed.GetArrayLength());
    }

    [Fact]
    public async Task Name_and_source_job_are_required()
    {
        using var client = fixture.Api.CreateClient();
        var source = await CreateSourceJobAsync(client, 1);

        var (noName, noNameProblem) = await SendAsync(client, HttpMethod.Post, "", new { cron = "0 6 * * *", source_job_id = source });
        var (noSource, noSourceProblem) = await SendAsync(client, HttpMethod.Post, "", new { name = "Nightly", cron = "0 6 * * *" });

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "name"), (noName, ErrorField(noNameProblem)));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "source_job_id"), (noSource, ErrorField(noSourceProblem)));
    }

    [Fact]
    public async Task An_unknown_source_job_or_another_projects_is_404()
    {
        using var teamA = await fixture.ProjectClientAsync("source-a");
        using var teamB = await fixture.ProjectClientAsync("source-b");
        var jobOfA = await CreateSourceJobAsync(teamA, 1);

        var (unknown, _) = await SendAsync(teamB, HttpMethod.Post, "", new { name = "Nightly", cron = "0 6 * * *", source_job_id = Guid.CreateVersion7() });
        var (otherProject, problem) = await SendAsync(teamB, HttpMethod.Post, "", new { name = "Nightly", cron = "0 6 * * *", source_job_id = jobOfA });

        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal(HttpStatusCode.NotFound, otherProject);
        Assert.Contains("No job", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var (_, listed) = await SendAsync(teamB, HttpMethod.Get, "");
        Assert.Equal(0, listed.GetArrayLength());
    }

    [Fact]
    public async Task Create_registers_a_recurring_job_in_the_schedules_time_zone_and_get_shows_its_next_run()
    {
        using var client = await fixture.ProjectClientAsync("nightly");
        var source = await CreateSourceJobAsync(client, 3);

        var created = await CreateAsync(client, source, "Reviews", "30 6 * * 1-5", "Europe/Berlin");
        var id = created.GetProperty("id").GetGuid();

        Assert.Equal("nightly", created.GetProperty("project").GetString());
        var recurring = fixture.RecurringJob(id);
        Assert.NotNull(recurring);
        Assert.Equal(("30 6 * * 1-5", "Europe/Berlin", BatchQueues.Control), (recurring.Cron, recurring.TimeZoneId, recurring.Job.Queue));
        Assert.Equal(typeof(IScheduleRunner), recurring.Job.Type);
        Assert.Equal(nameof(IScheduleRunner.RunAsync), recurring.Job.Method.Name);
        Assert.Equal(id, recurring.Job.Args[0]);

        var (status, got) = await SendAsync(client, HttpMethod.Get, $"/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        var nextRun = got.GetProperty("next_run_at").GetDateTimeOffset();
        // Hangfire computes the same next firing from the same cron and time zone.
        Assert.Equal(recurring.NextExecution, nextRun.UtcDateTime);
        var berlin = TimeZoneInfo.ConvertTime(nextRun, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.Equal((6, 30), (berlin.Hour, berlin.Minute));
        Assert.InRange(berlin.DayOfWeek, DayOfWeek.Monday, DayOfWeek.Friday);
        Assert.InRange(nextRun, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(4));
        Assert.Equal($"/api/jobs/{source}", got.GetProperty("links").GetProperty("source_job").GetString());
    }

    [Fact]
    public async Task Patch_disable_removes_the_recurring_job_enable_puts_it_back_with_the_new_cron_and_delete_removes_it()
    {
        using var client = fixture.Api.CreateClient();
        var source = await CreateSourceJobAsync(client, 1);
        var id = (await CreateAsync(client, source, "Hourly")).GetProperty("id").GetGuid();
        Assert.NotNull(fixture.RecurringJob(id));

        var (disabled, body) = await SendAsync(client, HttpMethod.Patch, $"/{id}", new { enabled = false });
        Assert.Equal(HttpStatusCode.OK, disabled);
        Assert.False(body.GetProperty("enabled").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("next_run_at").ValueKind);
        Assert.Null(fixture.RecurringJob(id));

        var (refused, problem) = await SendAsync(client, HttpMethod.Post, $"/{id}/run");
        Assert.Equal(HttpStatusCode.Conflict, refused);
        Assert.Contains("disabled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (badZone, zoneProblem) = await SendAsync(client, HttpMethod.Patch, $"/{id}", new { enabled = true, time_zone = "Nowhere/Land" });
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "time_zone"), (badZone, ErrorField(zoneProblem)));
        Assert.Null(fixture.RecurringJob(id));

        var (enabled, _) = await SendAsync(client, HttpMethod.Patch, $"/{id}", new { enabled = true, cron = "15 * * * *", name = "Quarter past" });
        Assert.Equal(HttpStatusCode.OK, enabled);
        Assert.Equal("15 * * * *", fixture.RecurringJob(id)?.Cron);
        var (_, got) = await SendAsync(client, HttpMethod.Get, $"/{id}");
        Assert.Equal(("Quarter past", "UTC", 15), (got.GetProperty("name").GetString(), got.GetProperty("time_zone").GetString(), got.GetProperty("next_run_at").GetDateTimeOffset().Minute));

        var (deleted, _) = await SendAsync(client, HttpMethod.Delete, $"/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        Assert.Null(fixture.RecurringJob(id));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(client, HttpMethod.Get, $"/{id}")).Status);
    }

    [Fact]
    public async Task Run_now_queues_the_schedules_job_on_the_control_queue()
    {
        using var client = fixture.Api.CreateClient();
        var source = await CreateSourceJobAsync(client, 1);
        var id = (await CreateAsync(client, source, "On demand", "0 0 1 1 *")).GetProperty("id").GetGuid();

        var (status, body) = await SendAsync(client, HttpMethod.Post, $"/{id}/run");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(id, body.GetProperty("schedule_id").GetGuid());
        Assert.Equal([body.GetProperty("hangfire_job_id").GetString()!], fixture.Enqueued<IScheduleRunner>(BatchQueues.Control, id));
    }

    [Fact]
    public async Task Schedules_of_another_project_are_404_and_lists_show_a_keys_own_project_or_all_for_an_admin()
    {
        using var admin = fixture.Api.CreateClient();
        using var teamA = await fixture.ProjectClientAsync("visible-a");
        using var teamB = await fixture.ProjectClientAsync("visible-b");
        var scheduleOfA = (await CreateAsync(teamA, await CreateSourceJobAsync(teamA, 1), "A's")).GetProperty("id").GetGuid();
        var scheduleOfB = (await CreateAsync(teamB, await CreateSourceJobAsync(teamB, 1), "B's")).GetProperty("id").GetGuid();

        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Get, "", null), (HttpMethod.Patch, "", new { enabled = false }), (HttpMethod.Post, "/run", null), (HttpMethod.Delete, "", null),
        })
        {
            var (status, _) = await SendAsync(teamB, method, $"/{scheduleOfA}{path}", body);
            Assert.True(status == HttpStatusCode.NotFound, $"{method} {path}: {status}");
        }
        Assert.NotNull(fixture.RecurringJob(scheduleOfA));

        Assert.Equal([scheduleOfA], await ListAsync(teamA));
        Assert.Equal([scheduleOfB], await ListAsync(teamB));
        Assert.Superset(new HashSet<Guid> { scheduleOfA, scheduleOfB }, (await ListAsync(admin)).ToHashSet());
    }

    [Fact]
    public async Task A_second_schedule_of_the_same_name_in_a_project_is_409()
    {
        using var client = await fixture.ProjectClientAsync("names");
        var source = await CreateSourceJobAsync(client, 1);
        await CreateAsync(client, source, "Daily");

        var (status, problem) = await SendAsync(client, HttpMethod.Post, "", new { name = "Daily", cron = "0 1 * * *", source_job_id = source });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("Daily", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_a_schedule_re_runs_cannot_be_deleted_until_the_schedule_is()
    {
        using var client = fixture.Api.CreateClient();
        var source = await CreateSourceJobAsync(client, 2);
        var id = (await CreateAsync(client, source, "Keeps its source")).GetProperty("id").GetGuid();
        using (var canceled = await client.PostAsync(new Uri($"/api/jobs/{source}/cancel", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        }

        using (var refused = await client.DeleteAsync(new Uri($"/api/jobs/{source}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("schedule", (await Batch.Api.Tests.Uploads.JsonAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(client, HttpMethod.Delete, $"/{id}")).Status);
        using var deleted = await client.DeleteAsync(new Uri($"/api/jobs/{source}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    private static async Task<List<Guid>> ListAsync(HttpClient client)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Get, "");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.EnumerateArray().Select(s => s.GetProperty("id").GetGuid()).ToList();
    }
}

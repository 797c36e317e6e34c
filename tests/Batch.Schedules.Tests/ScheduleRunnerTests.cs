using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Batch.Worker.Schedules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Batch.Schedules.Tests.ScheduleRequests;

namespace Batch.Schedules.Tests;

/// <summary>The worker's side of a schedule: each firing copies the source job into a new queued job and enqueues its start.</summary>
public class ScheduleRunnerTests(SchedulesFixture fixture) : IClassFixture<SchedulesFixture>
{
    private const string SourceSpec = """
        {"name": "Source", "model": "claude-haiku-4-5", "system": "You summarise.", "template": "Summarise: {{text}}",
         "max_tokens": 16, "temperature": 0.5, "cache_ttl": "1h", "priority": 5, "max_cost_usd": 12.5,
         "output_schema": {"type": "object", "properties": {"summary": {"type": "string"}}}, "output_mode": "tool", "schema_retries": 2}
        """;

    private static readonly DateTimeOffset SixAm = new(2026, 11, 24, 6, 0, 3, TimeSpan.Zero);

    [Fact]
    public void The_worker_registers_the_schedule_runner() =>
        Assert.IsType<ScheduleRunner>(fixture.Worker.Services.GetRequiredService<IScheduleRunner>());

    [Fact]
    public async Task A_run_copies_the_source_jobs_spec_and_inputs_into_a_new_queued_job_and_enqueues_its_start()
    {
        using var client = fixture.Api.CreateClient();
        const int rows = 40;
        var source = await Batch.Api.Tests.Uploads.CreateJobAsync(client, SourceSpec, Batch.Api.Tests.Uploads.Csv(rows, i => $"\"text {i}, with \"\"quotes\"\"\""));
        await Batch.Api.Tests.Uploads.ExpandRowsAsync(fixture.Database, source);
        // The source has run: the copy must take its inputs and none of its outcomes.
        await SqlAsync($"""
            UPDATE batch.job_rows SET status = 2, attempts = 2, output_text = 'done', output_content = '[]', output_parsed = json_build_object('summary', 'done'), input_tokens = 10, output_tokens = 3,
                cost_usd = 0.001, request_id = 'req', completed_at = now() WHERE job_id = '{source}';
            UPDATE batch.jobs SET status = 3, succeeded_rows = {rows}, input_tokens = 400, output_tokens = 120, cost_usd = 0.04,
                cache_note = 'a note', started_at = now(), finished_at = now() WHERE id = '{source}';
            """);
        var scheduleId = (await CreateAsync(client, source, "Nightly reviews")).GetProperty("id").GetGuid();

        await Runner(new ManualClock(SixAm)).RunAsync(scheduleId, "Nightly", null, CancellationToken.None);

        await using var db = fixture.Database.CreateContext();
        var original = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == source);
        var copy = await db.Jobs.AsNoTracking().SingleAsync(j => j.ScheduleId == scheduleId);
        Assert.NotEqual(source, copy.Id);
        Assert.Equal("Nightly reviews 2026-11-24T06:00Z", copy.Name);
        Assert.Equal(
            (original.Project, original.AccountId, original.Model, original.SystemPrompt, original.UserTemplate, original.MaxTokens, original.DefaultParams,
             original.CacheTtl, original.Priority, original.RowFormat, string.Join(',', original.Columns), rows),
            (copy.Project, copy.AccountId, copy.Model, copy.SystemPrompt, copy.UserTemplate, copy.MaxTokens, copy.DefaultParams,
             copy.CacheTtl, copy.Priority, copy.RowFormat, string.Join(',', copy.Columns), copy.RowCount));
        Assert.Equal((CacheTtl.OneHour, 5, 12.5m), (copy.CacheTtl, copy.Priority, copy.MaxCostUsd));
        Assert.Equal((original.OutputSchema, OutputMode.Tool, 2), (copy.OutputSchema, copy.OutputMode, copy.SchemaRetries));
        Assert.Equal((JobStatus.Queued, null, null, null, null), (copy.Status, copy.StatusReason, copy.CacheNote, copy.StartedAt, copy.FinishedAt));
        Assert.Equivalent(new JobCounters(), copy.Counters);
        Assert.Equal((SixAm, SixAm), (copy.CreatedAt, copy.UpdatedAt));

        var originalRows = await db.JobRows.AsNoTracking().Where(r => r.JobId == source).OrderBy(r => r.Seq).ToListAsync();
        var copiedRows = await db.JobRows.AsNoTracking().Where(r => r.JobId == copy.Id).OrderBy(r => r.Seq).ToListAsync();
        Assert.Equal(rows, copiedRows.Count);
        Assert.Equal(originalRows.Select(r => (r.Seq, r.CustomId, r.Input)), copiedRows.Select(r => (r.Seq, r.CustomId, r.Input)));
        Assert.All(copiedRows, r => Assert.Equal(
            (RowStatus.Pending, (short)0, null, null, null, 0, 0, null, null),
            (r.Status, r.Attempts, r.OutputText, r.OutputContent, r.OutputParsed, r.InputTokens, r.OutputTokens, r.CostUsd, r.CompletedAt)));

        var schedule = await db.JobSchedules.AsNoTracking().SingleAsync(s => s.Id == scheduleId);
        Assert.Equal((SixAm, copy.Id), (schedule.LastRunAt, schedule.LastJobId));
        Assert.Single(fixture.Enqueued<IJobRunner>(BatchQueues.Control, copy.Id));
    }

    [Fact]
    public async Task A_run_copies_rows_a_worker_has_expanded_and_rows_still_in_uploaded_blocks_once_each()
    {
        using var client = fixture.Api.CreateClient();
        const int rows = 1200;
        var source = await Batch.Api.Tests.Uploads.CreateJobAsync(client, SourceSpec, Batch.Api.Tests.Uploads.Csv(rows));
        await JobInputBlocks.MaterializeNextAsync(fixture.Database.DataSource, source, 1, CancellationToken.None);
        var scheduleId = (await CreateAsync(client, source, "Half expanded")).GetProperty("id").GetGuid();

        await Runner(new ManualClock(SixAm)).RunAsync(scheduleId, "Nightly", null, CancellationToken.None);

        await using var db = fixture.Database.CreateContext();
        var copy = await db.Jobs.AsNoTracking().SingleAsync(j => j.ScheduleId == scheduleId);
        Assert.Equal(rows, copy.RowCount);
        await Batch.Api.Tests.Uploads.ExpandRowsAsync(fixture.Database, source);
        await Batch.Api.Tests.Uploads.ExpandRowsAsync(fixture.Database, copy.Id);
        var originalRows = await db.JobRows.AsNoTracking().Where(r => r.JobId == source).OrderBy(r => r.Seq).Select(r => new { r.Seq, r.CustomId, r.Input }).ToListAsync();
        var copiedRows = await db.JobRows.AsNoTracking().Where(r => r.JobId == copy.Id).OrderBy(r => r.Seq).Select(r => new { r.Seq, r.CustomId, r.Input }).ToListAsync();
        Assert.Equal(rows, copiedRows.Count);
        Assert.Equal(originalRows, copiedRows);
    }

    [Fact]
    public async Task The_same_firing_run_twice_makes_one_job_and_a_firing_while_that_job_waits_to_start_starts_it_again()
    {
        using var client = fixture.Api.CreateClient();
        var scheduleId = (await CreateAsync(client, await CreateSourceJobAsync(client, 3), "Every minute", "* * * * *")).GetProperty("id").GetGuid();
        var clock = new ManualClock(SixAm);
        var runner = Runner(clock);

        // Two executions at once (the schedule row's lock orders them), then a Hangfire retry later in the same minute.
        await Task.WhenAll(runner.RunAsync(scheduleId, "Nightly", null, CancellationToken.None), Runner(clock).RunAsync(scheduleId, "Nightly", null, CancellationToken.None));
        clock.Now = SixAm.AddSeconds(50);
        await runner.RunAsync(scheduleId, "Nightly", null, CancellationToken.None);
        var first = Assert.Single(await JobsOfAsync(scheduleId));
        Assert.Single(fixture.Enqueued<IJobRunner>(BatchQueues.Control, first));

        // The next firing finds the first job not yet picked up by any worker: no second copy, its start is enqueued again.
        clock.Now = SixAm.AddMinutes(1);
        await runner.RunAsync(scheduleId, "Nightly", null, CancellationToken.None);
        Assert.Equal([first], await JobsOfAsync(scheduleId));
        Assert.Equal(2, fixture.Enqueued<IJobRunner>(BatchQueues.Control, first).Count);

        // Once a worker has started it, the next firing makes the next job.
        await SqlAsync($"UPDATE batch.jobs SET status = 1, started_at = now() WHERE id = '{first}'");
        clock.Now = SixAm.AddMinutes(2);
        await runner.RunAsync(scheduleId, "Nightly", null, CancellationToken.None);
        var second = Assert.Single(await JobsOfAsync(scheduleId), id => id != first);
        Assert.Single(fixture.Enqueued<IJobRunner>(BatchQueues.Control, second));
        await using var db = fixture.Database.CreateContext();
        Assert.Equal(second, (await db.JobSchedules.AsNoTracking().SingleAsync(s => s.Id == scheduleId)).LastJobId);
    }

    [Fact]
    public async Task A_disabled_schedule_makes_no_job_and_a_deleted_schedules_recurring_job_removes_itself()
    {
        using var client = fixture.Api.CreateClient();
        var source = await CreateSourceJobAsync(client, 2);
        var disabled = (await CreateAsync(client, source, "Switched off", enabled: false)).GetProperty("id").GetGuid();
        var deleted = (await CreateAsync(client, source, "Left behind")).GetProperty("id").GetGuid();
        await SqlAsync($"DELETE FROM batch.job_schedules WHERE id = '{deleted}'");
        Assert.NotNull(fixture.RecurringJob(deleted));
        var runner = Runner(new ManualClock(SixAm));

        await runner.RunAsync(disabled, "Nightly", null, CancellationToken.None);
        await runner.RunAsync(deleted, "Nightly", null, CancellationToken.None);

        Assert.Empty(await JobsOfAsync(disabled));
        Assert.Empty(await JobsOfAsync(deleted));
        Assert.Null(fixture.RecurringJob(deleted));
        await using var db = fixture.Database.CreateContext();
        Assert.Null((await db.JobSchedules.AsNoTracking().SingleAsync(s => s.Id == disabled)).LastRunAt);
    }

    /// <summary>The runner as the worker builds it, with a clock the test moves.</summary>
    private ScheduleRunner Runner(TimeProvider clock) => ActivatorUtilities.CreateInstance<ScheduleRunner>(fixture.Worker.Services, clock);

    private async Task<List<Guid>> JobsOfAsync(Guid scheduleId)
    {
        await using var db = fixture.Database.CreateContext();
        return await db.Jobs.Where(j => j.ScheduleId == scheduleId).OrderBy(j => j.Id).Select(j => j.Id).ToListAsync();
    }

    private async Task SqlAsync(string sql)
    {
        await using var command = fixture.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

using System.Security.Claims;
using Batch.Api.Authentication;
using Batch.Api.Jobs;
using Batch.Api.Problems;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Jobs;
using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Apis;

/// <summary>
/// Schedules re-run a saved job on a cron schedule: each firing copies the source job's spec and rows into a new
/// job. A schedule is a Hangfire recurring job (<c>schedule:{id}</c> in the dashboard) while it is enabled.
/// A key sees its own project's schedules; an admin key sees all.
/// </summary>
public static class SchedulesApi
{
    private const string TimeZoneHelp = "An IANA time zone id such as Europe/Berlin or America/New_York, or UTC.";

    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/schedules").WithTags("Schedules");
        api.MapPost("/", CreateAsync)
            .WithName("CreateSchedule")
            .WithSummary("Re-run a saved job on a cron schedule: each firing copies its spec and rows into a new job.")
            .WithDescription("""
                ```json
                {"name": "Nightly reviews", "cron": "0 6 * * 1-5", "time_zone": "Europe/Berlin", "source_job_id": "0193a5c2-...", "enabled": true}
                ```
                `cron` has five fields (minute hour day-of-month month day-of-week); `time_zone` is an IANA id, UTC when left out.
                The source job must be visible to the key; the schedule belongs to its project. Each run creates a queued job named
                "{name} {UTC time}" with the source's spec and rows, and starts it. A firing while the previous run's job still waits
                to start starts that job instead of adding another. Answer (201):
                ```json
                {"id": "...", "project": "team-a", "name": "Nightly reviews", "cron": "0 6 * * 1-5", "time_zone": "Europe/Berlin",
                 "source_job_id": "0193a5c2-...", "enabled": true, "next_run_at": "2026-11-25T05:00:00+00:00", "last_run_at": null, "last_job_id": null,
                 "recurring_job_id": "schedule:...", "created_at": "...", "links": {"self": "/api/schedules/...", "run": "/api/schedules/.../run",
                 "source_job": "/api/jobs/0193a5c2-...", "last_job": null}}
                ```
                """)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/", ListAsync)
            .WithName("ListSchedules")
            .WithSummary("List schedules with their next run, by name.");
        api.MapGet("/{id:guid}", GetAsync)
            .WithName("GetSchedule")
            .WithSummary("A schedule, its next run (from the cron expression in its time zone) and its last run's job.");
        api.MapPatch("/{id:guid}", UpdateAsync)
            .WithName("UpdateSchedule")
            .WithSummary("Change a schedule's name, cron, time zone or enabled; fields left out stay as they are. Disabling removes its recurring job.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapDelete("/{id:guid}", DeleteAsync)
            .WithName("DeleteSchedule")
            .WithSummary("Delete a schedule and its recurring job; the jobs it created stay.");
        api.MapPost("/{id:guid}/run", RunAsync)
            .WithName("RunSchedule")
            .WithSummary("Fire an enabled schedule now, outside its cron times.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public sealed record CreateScheduleRequest(string? Name, string? Cron, string? TimeZone, Guid? SourceJobId, bool Enabled = true);

    public sealed record UpdateScheduleRequest(string? Name, string? Cron, string? TimeZone, bool? Enabled);

    public sealed record ScheduleLinks(string Self, string Run, string SourceJob, string? LastJob);

    public sealed record ScheduleResponse(
        Guid Id, string Project, string Name, string Cron, string TimeZone, Guid SourceJobId, bool Enabled,
        DateTimeOffset? NextRunAt, DateTimeOffset? LastRunAt, Guid? LastJobId, string RecurringJobId, DateTimeOffset CreatedAt, ScheduleLinks Links)
    {
        public static ScheduleResponse From(JobSchedule s, DateTimeOffset now) => new(
            s.Id, s.Project, s.Name, s.Cron, s.TimeZone, s.SourceJobId, s.Enabled,
            s.Enabled ? ScheduleCron.NextOccurrence(s.Cron, s.TimeZone, now) : null,
            s.LastRunAt, s.LastJobId, ScheduleCron.RecurringJobId(s.Id), s.CreatedAt,
            new ScheduleLinks($"/api/schedules/{s.Id}", $"/api/schedules/{s.Id}/run", $"/api/jobs/{s.SourceJobId}",
                s.LastJobId is { } last ? $"/api/jobs/{last}" : null));
    }

    /// <summary>The answer to a run request: the Hangfire job that will create this firing's job.</summary>
    public sealed record ScheduleRunQueued(Guid ScheduleId, string HangfireJobId);

    private static async Task<Results<Created<ScheduleResponse>, ProblemHttpResult>> CreateAsync(
        CreateScheduleRequest request, ClaimsPrincipal user, BatchDbContext db, JobStore jobs, IRecurringJobManager recurringJobs, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var timeZone = request.TimeZone ?? "UTC";
        if (Validate(request.Name ?? "", request.Cron ?? "", timeZone) is { } invalid)
        {
            return invalid;
        }
        if (request.SourceJobId is not { } sourceJobId)
        {
            return ProblemResults.Field("source_job_id", "Required: the id of the job whose spec and rows each run copies.");
        }
        // The schedule belongs to its source job's project, so an admin's schedule runs where the job lives.
        var project = await jobs.Visible(user.ToCaller()).Where(j => j.Id == sourceJobId).Select(j => j.Project).SingleOrDefaultAsync(cancellationToken);
        if (project is null)
        {
            return ProblemResults.NotFound("job");
        }
        if (await NameTakenAsync(db, project, request.Name!, except: null, cancellationToken))
        {
            return NameConflict(request.Name!, project);
        }
        var now = time.GetUtcNow();
        var schedule = new JobSchedule
        {
            Id = Guid.CreateVersion7(now),
            Project = project,
            Name = request.Name!,
            Cron = request.Cron!,
            TimeZone = timeZone,
            SourceJobId = sourceJobId,
            Enabled = request.Enabled,
            CreatedAt = now,
        };
        db.JobSchedules.Add(schedule);
        await SaveAndRegisterAsync(db, recurringJobs, schedule, cancellationToken);
        return TypedResults.Created($"/api/schedules/{schedule.Id}", ScheduleResponse.From(schedule, now));
    }

    private static async Task<Ok<List<ScheduleResponse>>> ListAsync(ClaimsPrincipal user, BatchDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var schedules = await Visible(db, user.ToCaller()).AsNoTracking().OrderBy(s => s.Project).ThenBy(s => s.Name).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(schedules.Select(s => ScheduleResponse.From(s, now)).ToList());
    }

    private static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, BatchDbContext db, TimeProvider time, CancellationToken cancellationToken) =>
        await Visible(db, user.ToCaller()).AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken) is { } schedule
            ? TypedResults.Ok(ScheduleResponse.From(schedule, time.GetUtcNow()))
            : ProblemResults.NotFound("schedule");

    private static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateScheduleRequest request, ClaimsPrincipal user, BatchDbContext db, IRecurringJobManager recurringJobs, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var schedule = await Visible(db, user.ToCaller()).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (schedule is null)
        {
            return ProblemResults.NotFound("schedule");
        }
        var name = request.Name ?? schedule.Name;
        if (Validate(name, request.Cron ?? schedule.Cron, request.TimeZone ?? schedule.TimeZone) is { } invalid)
        {
            return invalid;
        }
        if (name != schedule.Name && await NameTakenAsync(db, schedule.Project, name, except: id, cancellationToken))
        {
            return NameConflict(name, schedule.Project);
        }
        schedule.Name = name;
        schedule.Cron = request.Cron ?? schedule.Cron;
        schedule.TimeZone = request.TimeZone ?? schedule.TimeZone;
        schedule.Enabled = request.Enabled ?? schedule.Enabled;
        await SaveAndRegisterAsync(db, recurringJobs, schedule, cancellationToken);
        return TypedResults.Ok(ScheduleResponse.From(schedule, time.GetUtcNow()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid id, ClaimsPrincipal user, BatchDbContext db, IRecurringJobManager recurringJobs, CancellationToken cancellationToken)
    {
        var schedule = await Visible(db, user.ToCaller()).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (schedule is null)
        {
            return ProblemResults.NotFound("schedule");
        }
        db.JobSchedules.Remove(schedule);
        await db.SaveChangesAsync(cancellationToken);
        // After the commit: should this fail, the recurring job's next firing finds no schedule and removes itself.
        recurringJobs.RemoveIfExists(ScheduleCron.RecurringJobId(id));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Accepted<ScheduleRunQueued>, ProblemHttpResult>> RunAsync(
        Guid id, ClaimsPrincipal user, BatchDbContext db, IRecurringJobManagerV2 recurringJobs, CancellationToken cancellationToken)
    {
        var schedule = await Visible(db, user.ToCaller()).AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (schedule is null)
        {
            return ProblemResults.NotFound("schedule");
        }
        if (!schedule.Enabled)
        {
            return ProblemResults.Conflict("The schedule is disabled; enable it (PATCH {\"enabled\": true}) to run it.");
        }
        var recurringJobId = ScheduleCron.RecurringJobId(id);
        // A recurring job lost from Hangfire's storage is put back rather than reported missing.
        var hangfireJobId = recurringJobs.TriggerJob(recurringJobId);
        if (hangfireJobId is null)
        {
            Register(recurringJobs, schedule);
            hangfireJobId = recurringJobs.TriggerJob(recurringJobId);
        }
        return hangfireJobId is null
            ? ProblemResults.Conflict("Hangfire did not queue the run; try again.")
            : TypedResults.Accepted($"/api/schedules/{id}", new ScheduleRunQueued(id, hangfireJobId));
    }

    private static IQueryable<JobSchedule> Visible(BatchDbContext db, Caller caller) =>
        caller.IsAdmin ? db.JobSchedules : db.JobSchedules.Where(s => s.Project == caller.Project);

    private static ProblemHttpResult? Validate(string name, string cron, string timeZone)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            return ProblemResults.Field("name", "1 to 200 characters; each run's job is named after it.");
        }
        if (ScheduleCron.TryParse(cron, out var cronError) is null)
        {
            return ProblemResults.Field("cron", cronError!);
        }
        return ScheduleCron.TryFindTimeZone(timeZone) is null ? ProblemResults.Field("time_zone", TimeZoneHelp) : null;
    }

    private static Task<bool> NameTakenAsync(BatchDbContext db, string project, string name, Guid? except, CancellationToken cancellationToken) =>
        db.JobSchedules.AnyAsync(s => s.Project == project && s.Name == name && s.Id != except, cancellationToken);

    private static ProblemHttpResult NameConflict(string name, string project) =>
        ProblemResults.Conflict($"Project '{project}' has a schedule named '{name}' already.");

    /// <summary>
    /// The row and the recurring job change together: Hangfire is told inside the row's transaction, so a failure
    /// there stores nothing. A recurring job left behind by a failed commit finds no schedule and removes itself.
    /// </summary>
    private static async Task SaveAndRegisterAsync(BatchDbContext db, IRecurringJobManager recurringJobs, JobSchedule schedule, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        Register(recurringJobs, schedule);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>An enabled schedule is a recurring job on the control queue, in its own time zone; a disabled one has none.</summary>
    private static void Register(IRecurringJobManager recurringJobs, JobSchedule schedule)
    {
        var (id, name) = (schedule.Id, schedule.Name);
        var recurringJobId = ScheduleCron.RecurringJobId(id);
        if (!schedule.Enabled)
        {
            recurringJobs.RemoveIfExists(recurringJobId);
            return;
        }
        recurringJobs.AddOrUpdate<IScheduleRunner>(
            recurringJobId, BatchQueues.Control, runner => runner.RunAsync(id, name, null, CancellationToken.None), schedule.Cron,
            new RecurringJobOptions { TimeZone = ScheduleCron.TryFindTimeZone(schedule.TimeZone)! });
    }
}

using Batch.Api.Authentication;
using Batch.Data;
using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Jobs;

/// <summary>Reads jobs as a caller may see them: their own project's, or every project's for an admin.</summary>
public sealed class JobStore(BatchDbContext db, TimeProvider time)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 1000;

    public IQueryable<Job> Visible(Caller caller) => Visible(db.Jobs, caller);

    internal static IQueryable<Job> Visible(IQueryable<Job> jobs, Caller caller) =>
        caller.IsAdmin ? jobs.AsNoTracking().Where(j => j.DeletedAt == null) : jobs.AsNoTracking().Where(j => j.Project == caller.Project && j.DeletedAt == null);

    public async Task<JobResponse?> GetAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var found = await Visible(caller).Where(j => j.Id == id)
            .Select(j => new { Job = j, Account = j.Account!.Name })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return null;
        }
        var held = await HeldRowsAsync([id], cancellationToken);
        return JobResponse.From(found.Job, found.Account, held.GetValueOrDefault(id), time.GetUtcNow());
    }

    /// <summary>Newest first; <paramref name="after"/> is the last id of the previous page.</summary>
    public async Task<JobList> ListAsync(Caller caller, JobStatus? status, int limit, Guid? after, CancellationToken cancellationToken)
    {
        // Ids are UUIDv7, so PostgreSQL's uuid order is creation order and the last id is a stable cursor.
        var jobs = Visible(after is { } cursor ? db.Jobs.FromSql($"SELECT * FROM batch.jobs WHERE id < {cursor}") : db.Jobs, caller);
        if (status is { } wanted)
        {
            jobs = jobs.Where(j => j.Status == wanted);
        }
        var page = await jobs.OrderByDescending(j => j.Id).Take(limit + 1)
            .Select(j => new JobOfAccount(j, j.Account!.Name))
            .ToListAsync(cancellationToken);
        var hasMore = page.Count > limit;
        var data = await RespondAsync(page.Take(limit), cancellationToken);
        return new JobList(data, hasMore, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id);
    }

    /// <summary>One page of jobs, newest first, by offset (the dashboard's pager), with how many match in all.</summary>
    public async Task<(IReadOnlyList<JobResponse> Jobs, int Total)> PageAsync(
        Caller caller, JobStatus? status, string? project, int skip, int take, CancellationToken cancellationToken)
    {
        var jobs = Visible(caller);
        if (status is { } wanted)
        {
            jobs = jobs.Where(j => j.Status == wanted);
        }
        if (project is not null)
        {
            jobs = jobs.Where(j => j.Project == project);
        }
        var total = await jobs.CountAsync(cancellationToken);
        var page = await jobs.OrderByDescending(j => j.Id).Skip(skip).Take(take)
            .Select(j => new JobOfAccount(j, j.Account!.Name))
            .ToListAsync(cancellationToken);
        return (await RespondAsync(page, cancellationToken), total);
    }

    /// <summary>The answers for a page of jobs: their counters with what live workers hold of each.</summary>
    private async Task<List<JobResponse>> RespondAsync(IEnumerable<JobOfAccount> page, CancellationToken cancellationToken)
    {
        var jobs = page.ToList();
        var held = await HeldRowsAsync([.. jobs.Select(p => p.Job.Id)], cancellationToken);
        var now = time.GetUtcNow();
        return [.. jobs.Select(p => JobResponse.From(p.Job, p.Account, held.GetValueOrDefault(p.Job.Id), now))];
    }

    /// <summary>
    /// The claimed and in-flight rows running chunks last reported (a few rows per job; never a scan of its rows). Reports
    /// past their time, from a process that died, are left out: its rows count as pending until their leases expire.
    /// </summary>
    private async Task<Dictionary<Guid, HeldRows>> HeldRowsAsync(Guid[] jobIds, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<HeldRowsOfJob>($"""
                SELECT job_id, sum(claimed)::int AS claimed, sum(in_flight)::int AS in_flight
                FROM batch.job_chunk_activity WHERE job_id = ANY({jobIds}) AND expires_at > now()
                GROUP BY job_id
                """)
            .ToDictionaryAsync(h => h.JobId, h => new HeldRows(h.Claimed, h.InFlight), cancellationToken);

    private sealed record HeldRowsOfJob(Guid JobId, int Claimed, int InFlight);

    private sealed record JobOfAccount(Job Job, string Account);
}

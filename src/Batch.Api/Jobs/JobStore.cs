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

    private static IQueryable<Job> Visible(IQueryable<Job> jobs, Caller caller) =>
        caller.IsAdmin ? jobs.AsNoTracking() : jobs.AsNoTracking().Where(j => j.Project == caller.Project);

    public async Task<JobResponse?> GetAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var found = await Visible(caller).Where(j => j.Id == id)
            .Select(j => new { Job = j, Account = j.Account!.Name })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return null;
        }
        // One count over the partial index of leased rows: cheap however large the job.
        var inFlight = await db.JobRows.CountAsync(r => r.JobId == id && r.Status == RowStatus.Leased, cancellationToken);
        return JobResponse.From(found.Job, found.Account, inFlight, time.GetUtcNow());
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
            .Select(j => new { Job = j, Account = j.Account!.Name })
            .ToListAsync(cancellationToken);
        var hasMore = page.Count > limit;
        page = page.Take(limit).ToList();

        var ids = page.Select(p => p.Job.Id).ToList();
        var inFlight = await db.JobRows
            .Where(r => ids.Contains(r.JobId) && r.Status == RowStatus.Leased)
            .GroupBy(r => r.JobId)
            .Select(g => new { JobId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.JobId, g => g.Count, cancellationToken);

        var now = time.GetUtcNow();
        var data = page.Select(p => JobResponse.From(p.Job, p.Account, inFlight.GetValueOrDefault(p.Job.Id), now)).ToList();
        return new JobList(data, hasMore, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id);
    }
}

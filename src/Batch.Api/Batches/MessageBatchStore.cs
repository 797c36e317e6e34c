using Batch.Api.Authentication;
using Batch.Api.Jobs;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Batch.Api.Batches;

/// <summary>
/// Batches as a caller may see them: jobs created through the Message Batches API (they have an <c>expires_at</c>) of their
/// own project, or of every project for an admin key. A batch past its time is expired before it is shown.
/// </summary>
public sealed class MessageBatchStore(BatchDbContext db, JobStore jobs, NpgsqlDataSource dataSource, IBackgroundJobClient backgroundJobs)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 1000;

    private IQueryable<Job> Batches(Caller caller) => jobs.Visible(caller).Where(j => j.ExpiresAt != null);

    public async Task<Job?> FindAsync(Guid jobId, Caller caller, CancellationToken cancellationToken)
    {
        await ExpireDueAsync(jobId, cancellationToken);
        return await Batches(caller).SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
    }

    /// <summary>Newest first: after <paramref name="afterId"/> (older ones) or before <paramref name="beforeId"/> (newer ones).</summary>
    public async Task<(List<Job> Page, bool HasMore)> ListAsync(Caller caller, int limit, Guid? afterId, Guid? beforeId, CancellationToken cancellationToken)
    {
        await ExpireDueAsync(jobId: null, cancellationToken);
        // Ids are UUIDv7: their order is creation order, so an id is a stable cursor.
        var source = afterId is { } after ? db.Jobs.FromSql($"SELECT * FROM batch.jobs WHERE id < {after}")
            : beforeId is { } before ? db.Jobs.FromSql($"SELECT * FROM batch.jobs WHERE id > {before}")
            : db.Jobs;
        var batches = JobStore.Visible(source, caller).Where(j => j.ExpiresAt != null);
        var ordered = beforeId is null ? batches.OrderByDescending(j => j.Id) : batches.OrderBy(j => j.Id);
        var page = await ordered.Take(limit + 1).ToListAsync(cancellationToken);
        var hasMore = page.Count > limit;
        page = page.Take(limit).ToList();
        if (beforeId is not null)
        {
            page.Reverse();
        }
        return (page, hasMore);
    }

    /// <summary>Expires what is due, and sends each expired job's webhook at once, as the workers' sweep does.</summary>
    private async Task ExpireDueAsync(Guid? jobId, CancellationToken cancellationToken)
    {
        foreach (var expired in await JobExpiry.ExpireDueAsync(dataSource, jobId, cancellationToken))
        {
            backgroundJobs.EnqueueWebhooks(expired.WebhookEvents, $"job.expired of '{expired.Name}'");
        }
    }
}

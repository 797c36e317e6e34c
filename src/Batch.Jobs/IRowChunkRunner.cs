using Hangfire;

namespace Batch.Jobs;

/// <summary>
/// A Hangfire job on the <c>rows</c> queue that claims a job's rows in batches and sends them with many
/// requests in flight, until none are left. A job runs as a few of these, never one Hangfire job per row.
/// The job's name is an argument only so the dashboard can say which batch a chunk serves.
/// </summary>
public interface IRowChunkRunner
{
    // A failed chunk loses nothing (its rows' leases expire and are claimed again), so a few retries are plenty.
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("Rows of '{1}' (chunk {2})")]
    Task RunChunkAsync(Guid jobId, string jobName, int chunk, CancellationToken cancellationToken);

    /// <summary>A chunk enqueued for a running job whose rows nobody works on (their worker died).</summary>
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("Rows of '{1}' (restarted: no worker held them)")]
    Task RestartAsync(Guid jobId, string jobName, CancellationToken cancellationToken);
}

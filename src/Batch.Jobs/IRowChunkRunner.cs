using Hangfire;

namespace Batch.Worker;

/// <summary>
/// A Hangfire job on the <c>rows</c> queue that claims a job's rows in batches and sends them with many
/// requests in flight, until none are left. A job runs as a few of these, never one Hangfire job per row.
/// </summary>
public interface IRowChunkRunner
{
    // A failed chunk loses nothing (its rows' leases expire and are claimed again), so a few retries are plenty.
    [AutomaticRetry(Attempts = 3)]
    Task RunChunkAsync(Guid jobId, int chunk, CancellationToken cancellationToken);
}

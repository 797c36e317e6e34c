using Hangfire;

namespace Batch.Jobs;

/// <summary>
/// Deletes ended jobs past their retention, and deleted jobs, a few thousand rows per statement in short transactions,
/// so other jobs' result writes never wait on it. The worker registers <see cref="RunAsync"/> as the recurring job
/// <see cref="RecurringJobId"/>; the API enqueues <see cref="DeleteJobAsync"/> when a large job is deleted.
/// </summary>
public interface IRetentionRunner
{
    public const string RecurringJobId = "batch:retention";

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [JobDisplayName("Retention: delete ended jobs past their retention")]
    Task RunAsync(CancellationToken cancellationToken);

    [JobDisplayName("Delete '{1}'")]
    Task DeleteJobAsync(Guid jobId, string jobName, CancellationToken cancellationToken);
}

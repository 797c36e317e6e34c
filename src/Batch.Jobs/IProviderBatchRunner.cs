using Hangfire;
using Hangfire.States;

namespace Batch.Jobs;

/// <summary>
/// Drives a job's provider batches on the <c>provider_batches</c> queue: each tick recovers intents a crash left, polls the
/// slices at the provider, imports the results of ended ones, and submits more slices while the job runs. Ticks are delayed
/// Hangfire jobs, each scheduling the next with backoff, so polling survives any restart.
/// </summary>
public interface IProviderBatchRunner
{
    /// <summary>One tick of the job's poll chain; a tick the chain has moved past does nothing.</summary>
    // A failed tick is not retried: it scheduled its successor before doing anything.
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Provider batches of '{1}'")]
    Task TickAsync(Guid jobId, string jobName, Guid tickId, CancellationToken cancellationToken);

    /// <summary>Starts the chain anew with a tick now: a job started or resumed, canceled or paused (so the provider hears at once).</summary>
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("Provider batches of '{1}' (now)")]
    Task WakeAsync(Guid jobId, string jobName, CancellationToken cancellationToken);
}

/// <summary>The one way a provider-batch wake-up is enqueued.</summary>
public static class ProviderBatchWakes
{
    public static string EnqueueProviderBatchWake(this IBackgroundJobClient jobs, Guid jobId, string jobName) =>
        jobs.Create<IProviderBatchRunner>(runner => runner.WakeAsync(jobId, jobName, CancellationToken.None), new EnqueuedState(BatchQueues.ProviderBatches));
}

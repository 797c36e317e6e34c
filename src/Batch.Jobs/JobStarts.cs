using Hangfire;
using Hangfire.States;

namespace Batch.Jobs;

/// <summary>The one way a job's start is enqueued: by an upload, a resume, a retry of failed rows or a schedule's firing.</summary>
public static class JobStarts
{
    public static string EnqueueStart(this IBackgroundJobClient jobs, Guid jobId, string jobName) =>
        jobs.Create<IJobRunner>(runner => runner.StartAsync(jobId, jobName, CancellationToken.None), new EnqueuedState(BatchQueues.Control));
}

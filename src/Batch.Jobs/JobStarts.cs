using System.Linq.Expressions;
using Hangfire;
using Hangfire.States;

namespace Batch.Jobs;

/// <summary>The one way a job's start is enqueued: by an upload, a resume, a retry of failed rows or a schedule's firing.</summary>
public static class JobStarts
{
    public static string EnqueueStart(this IBackgroundJobClient jobs, Guid jobId, string jobName) =>
        jobs.Create(Start(jobId, jobName), new EnqueuedState(BatchQueues.Control));

    /// <summary>The call a start runs, for a warm-up to serialize as an enqueue would.</summary>
    public static Expression<Func<IJobRunner, Task>> Start(Guid jobId, string jobName) =>
        runner => runner.StartAsync(jobId, jobName, CancellationToken.None);
}

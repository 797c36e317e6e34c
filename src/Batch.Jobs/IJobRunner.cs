using Hangfire;

namespace Batch.Jobs;

/// <summary>
/// Runs a job's rows. The API enqueues <see cref="StartAsync"/> on the control queue when a job is
/// created, resumed or has its failed rows retried; the worker implements it. The job's status in
/// PostgreSQL is the truth: workers read it to stop sending on pause or cancel.
/// </summary>
public interface IJobRunner
{
    /// <summary>Starts (or continues) sending a job's pending rows. Safe to call more than once.</summary>
    /// <param name="jobName">Only for the dashboard's display name.</param>
    [JobDisplayName("Start '{1}'")]
    Task StartAsync(Guid jobId, string jobName, CancellationToken cancellationToken);
}

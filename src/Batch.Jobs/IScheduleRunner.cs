using Hangfire;
using Hangfire.Server;

namespace Batch.Jobs;

/// <summary>
/// Runs one firing of a job schedule. The API registers it as the Hangfire recurring job
/// <see cref="ScheduleCron.RecurringJobId"/> on the control queue; the worker implements it by copying the
/// schedule's source job (spec and rows) into a new queued job and starting that job.
/// </summary>
public interface IScheduleRunner
{
    /// <summary>Creates and starts this firing's job; does nothing when the schedule is gone or disabled, or already ran this minute.</summary>
    /// <param name="scheduleName">Only for the dashboard's display name; the schedule's row has the name in force.</param>
    /// <param name="firing">Hangfire passes its own (give null): its background job id names the firing, so a retry of the
    /// firing after a crash finds the job it already created.</param>
    [JobDisplayName("Schedule '{1}'")]
    Task RunAsync(Guid scheduleId, string scheduleName, PerformContext? firing, CancellationToken cancellationToken);
}

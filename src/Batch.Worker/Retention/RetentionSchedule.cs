using Batch.Jobs;
using Hangfire;

namespace Batch.Worker.Retention;

/// <summary>Registers retention as an hourly Hangfire recurring job when a worker starts (every worker does; it is one job).</summary>
internal sealed class RetentionSchedule(IRecurringJobManager recurringJobs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurringJobs.AddOrUpdate<IRetentionRunner>(
            IRetentionRunner.RecurringJobId, BatchQueues.Control, runner => runner.RunAsync(CancellationToken.None), Cron.Hourly());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

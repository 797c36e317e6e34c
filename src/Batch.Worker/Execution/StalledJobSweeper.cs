using Batch.Data.Rows;
using Batch.Jobs;
using Hangfire;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Restarts running jobs that nobody works on: when a worker dies, its chunk jobs stay invisible to Hangfire
/// for a long while, but its leases expire in <see cref="WorkerOptions.LeaseDuration"/>. A job seen twice in
/// a row with claimable rows and no live lease gets a new chunk; one with nothing left is completed. Each sweep also
/// runs the <see cref="SpendCapSweeper"/>, expires batches past their time, ends rows dead claims left in stopped jobs and
/// enqueues overdue webhooks.
/// </summary>
internal sealed partial class StalledJobSweeper(
    RowStore store, SpendCapSweeper spendCaps, Webhooks.WebhookSweep webhooks, NpgsqlDataSource dataSource, IBackgroundJobClient jobs,
    IOptions<WorkerOptions> options, ILogger<StalledJobSweeper> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seenBefore = new HashSet<Guid>();
        return PeriodicSweep.RunAsync(options.Value.SweepInterval, async cancellationToken =>
        {
            var seen = new HashSet<Guid>();
            foreach (var (jobId, jobName, hasWork) in await store.FindUnattendedJobsAsync(cancellationToken))
            {
                if (!hasWork)
                {
                    await store.TryFinishAsync(jobId, cancellationToken);
                }
                else if (!seenBefore.Contains(jobId))
                {
                    seen.Add(jobId);
                }
                else
                {
                    LogRestart(logger, jobId);
                    jobs.Enqueue<IRowChunkRunner>(BatchQueues.Rows, runner => runner.RestartAsync(jobId, jobName, CancellationToken.None));
                }
            }
            seenBefore = seen;
            await spendCaps.SweepAsync(cancellationToken);
            foreach (var expired in await JobExpiry.ExpireDueAsync(dataSource, jobId: null, cancellationToken))
            {
                LogExpired(logger, expired.Id, expired.Name);
                jobs.EnqueueWebhooks(expired.WebhookEvents, $"job.expired of '{expired.Name}'");
            }
            await JobExpiry.CloseAbandonedAsync(dataSource, cancellationToken);
            await webhooks.SweepAsync(cancellationToken);
        }, e => LogFailed(logger, e), stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} is running but nobody holds its rows: starting a chunk")]
    private static partial void LogRestart(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' expired: rows not yet sent were not sent")]
    private static partial void LogExpired(ILogger logger, Guid jobId, string jobName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for unattended jobs failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Options;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// Restarts poll chains nobody drives: a worker that died between moving a job's chain on and scheduling its next tick leaves
/// the chain overdue; any worker's sweeper starts it again within <see cref="ProviderBatchOptions.OverdueAfter"/>.
/// </summary>
internal sealed partial class ProviderBatchSweeper(
    PollChain chain, IOptionsMonitor<ProviderBatchOptions> options, IOptions<WorkerOptions> worker, ILogger<ProviderBatchSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(worker.Value.SweepInterval);
        do
        {
            try
            {
                foreach (var (jobId, jobName) in await chain.FindUndrivenAsync(options.CurrentValue.OverdueAfter, stoppingToken))
                {
                    LogRestart(logger, jobId);
                    await chain.RestartAsync(jobId, jobName, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The next sweep tries again; a database hiccup must not stop the sweeper.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: nobody drives its provider batches; restarting its poll chain")]
    private static partial void LogRestart(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for provider batches nobody drives failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

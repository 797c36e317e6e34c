using Batch.Worker.Execution;
using Microsoft.Extensions.Options;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// Restarts poll chains nobody drives: a worker that died between moving a job's chain on and scheduling its next tick leaves
/// the chain overdue; any worker's sweeper starts it again within <see cref="ProviderBatchOptions.OverdueAfter"/>.
/// </summary>
internal sealed partial class ProviderBatchSweeper(
    PollChain chain, IOptionsMonitor<ProviderBatchOptions> options, IOptions<WorkerOptions> worker, ILogger<ProviderBatchSweeper> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicSweep.RunAsync(worker.Value.SweepInterval, async cancellationToken =>
        {
            foreach (var (jobId, jobName) in await chain.FindUndrivenAsync(options.CurrentValue.OverdueAfter, cancellationToken))
            {
                LogRestart(logger, jobId);
                await chain.RestartAsync(jobId, jobName, cancellationToken);
            }
        }, e => LogFailed(logger, e), stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: nobody drives its provider batches; restarting its poll chain")]
    private static partial void LogRestart(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for provider batches nobody drives failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

using Batch.Jobs;
using Npgsql;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// The Hangfire side of provider batches: each tick moves the job's poll chain on (scheduling its successor) before it works,
/// works only under the job's lock, then hurries the chain when something moved, or ends it when the job needs no more.
/// </summary>
internal sealed partial class ProviderBatchRunner(PollChain chain, ProviderBatchDriver driver, NpgsqlDataSource dataSource, ILogger<ProviderBatchRunner> logger)
    : IProviderBatchRunner
{
    public async Task TickAsync(Guid jobId, string jobName, Guid tickId, CancellationToken cancellationToken)
    {
        if (await chain.AdvanceAsync(jobId, jobName, tickId, cancellationToken) is not { } next)
        {
            return;
        }
        await using var held = await JobLock.TryTakeAsync(dataSource, jobId, cancellationToken);
        if (held is null)
        {
            // Another tick of the job is at work (a long import); the tick just scheduled comes back after it.
            LogBusy(logger, jobId);
            return;
        }
        var outcome = await driver.TickAsync(jobId, cancellationToken);
        if (outcome.Done)
        {
            await chain.EndAsync(jobId, next, CancellationToken.None);
        }
        else if (outcome.Moved)
        {
            await chain.HurryAsync(jobId, jobName, next, CancellationToken.None);
        }
    }

    public async Task WakeAsync(Guid jobId, string jobName, CancellationToken cancellationToken) =>
        await TickAsync(jobId, jobName, await chain.ResetAsync(jobId, cancellationToken), cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId}: another tick holds its provider batches; this one leaves it to the next")]
    private static partial void LogBusy(ILogger logger, Guid jobId);
}

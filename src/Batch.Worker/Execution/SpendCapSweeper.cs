using Batch.Data.Spending;
using Batch.Jobs;
using Hangfire;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Run by each sweep of <see cref="StalledJobSweeper"/>: ends spend-cap reservations whose claim expired (a dead
/// process's, so they hold no cap room for ever), and starts again the jobs paused at an account's monthly limit once
/// they fit (the month turned, or the limit was raised). Several processes may sweep at once: each statement is conditional.
/// </summary>
internal sealed partial class SpendCapSweeper(SpendCapStore store, NpgsqlDataSource dataSource, IBackgroundJobClient jobs, ILogger<SpendCapSweeper> logger)
{
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        if (await store.FreeExpiredReservationsAsync(cancellationToken) is > 0 and var freed)
        {
            LogFreed(logger, freed);
        }
        foreach (var (jobId, name) in await AccountCapPauses.ResumeAsync(dataSource, null, cancellationToken))
        {
            LogResumed(logger, jobId);
            jobs.EnqueueStart(jobId, name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended {Rows} spend-cap reservations whose claims had expired")]
    private static partial void LogFreed(ILogger logger, int rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} fits under its account's monthly cost limit again: resumed")]
    private static partial void LogResumed(ILogger logger, Guid jobId);
}

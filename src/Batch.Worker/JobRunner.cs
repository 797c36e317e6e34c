using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Worker.Execution;
using Batch.Worker.ProviderBatches;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Batch.Worker;

/// <summary>
/// Starts (or continues) a job: queued → running, says on the job when its shared prefix is too short to cache,
/// warms the cache with one row, then fans out into a few chunk jobs on the <c>rows</c> queue, or, for a job delivered by
/// provider batch, starts its poll chain, which cuts and submits the slices.
/// </summary>
internal sealed partial class JobRunner(
    JobContextLoader loader,
    ChunkExecution execution,
    RowStore store,
    PollChain providerBatches,
    IBackgroundJobClient jobs,
    JobStorage storage,
    IOptions<WorkerOptions> options,
    ILogger<JobRunner> logger) : IJobRunner
{
    public async Task StartAsync(Guid jobId, string jobName, CancellationToken cancellationToken)
    {
        if (!await store.MarkRunningAsync(jobId, cancellationToken))
        {
            return;
        }
        var job = await loader.LoadRunnableAsync(jobId, cancellationToken);
        if (job is null)
        {
            return;
        }

        await store.SetCacheNoteAsync(jobId, CacheNote(job), cancellationToken);
        if (job.WarmsCache)
        {
            // One row alone writes the cache; the chunks enqueued after it read it.
            await execution.RunAsync(job, rowLimit: 1, cancellationToken);
        }

        if (job.Delivery == Delivery.ProviderBatch)
        {
            // Slices go out from the job's poll chain; the row above warmed the cache they read.
            await providerBatches.RestartAsync(jobId, job.Name, cancellationToken);
            LogProviderBatches(logger, jobId, job.Name);
            return;
        }

        var settings = options.Value;
        var pending = await store.CountPendingAsync(jobId, cancellationToken);
        var servers = storage.GetMonitoringApi().Servers()
            .Count(s => s.Queues.Contains(BatchQueues.Rows) && s.Heartbeat > DateTime.UtcNow.AddMinutes(-1));
        var chunks = Math.Clamp((pending + settings.ClaimBatchSize - 1) / settings.ClaimBatchSize, 1, Math.Max(1, servers * settings.ChunksPerServer));
        for (var chunk = 1; chunk <= chunks; chunk++)
        {
            var index = chunk;
            jobs.Enqueue<IRowChunkRunner>(BatchQueues.Rows, runner => runner.RunChunkAsync(jobId, job.Name, index, CancellationToken.None));
        }
        LogStarted(logger, jobId, job.Name, pending, chunks, servers);
    }

    private static string? CacheNote(JobContext job)
    {
        var minimum = job.ModelSetting?.MinCacheableTokens ?? 1024;
        if (job.SharedPrefixCharacters == 0)
        {
            return "No system prompt: the rows share no prefix, so nothing is cached.";
        }
        return job.WarmsCache
            ? null
            : $"The shared prefix (system prompt) is about {job.EstimatedSharedPrefixTokens} tokens, below the {minimum}-token minimum " +
              $"{job.Model} caches, so it is not cached: every row pays the full input price for it.";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' running by provider batches")]
    private static partial void LogProviderBatches(ILogger logger, Guid jobId, string jobName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' running: {Pending} rows pending, {Chunks} chunks for {Servers} worker servers")]
    private static partial void LogStarted(ILogger logger, Guid jobId, string jobName, int pending, int chunks, int servers);
}

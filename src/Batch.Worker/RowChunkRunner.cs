using Batch.Data.Entities;
using Batch.Worker.Execution;

namespace Batch.Worker;

internal sealed partial class RowChunkRunner(JobContextLoader loader, ChunkExecution execution, RowStore store, ILogger<RowChunkRunner> logger) : IRowChunkRunner
{
    public async Task RunChunkAsync(Guid jobId, int chunk, CancellationToken cancellationToken)
    {
        var job = await loader.LoadRunnableAsync(jobId, cancellationToken);
        if (job?.Status != JobStatus.Running)
        {
            return;
        }

        var summary = await execution.RunAsync(job, rowLimit: null, cancellationToken);
        LogChunk(logger, chunk, jobId, Environment.ProcessId, summary.Recorded, summary.Superseded, summary.Released);
        if (await store.TryCompleteAsync(jobId, CancellationToken.None))
        {
            LogCompleted(logger, jobId);
        }
    }

    // Tests count rows per process from this line; keep "recorded {Recorded}" in it.
    [LoggerMessage(Level = LogLevel.Information, Message = "Chunk {Chunk} of job {JobId} in process {ProcessId} done: recorded {Recorded}, superseded {Superseded}, released {Released}")]
    private static partial void LogChunk(ILogger logger, int chunk, Guid jobId, int processId, int recorded, int superseded, int released);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} completed")]
    private static partial void LogCompleted(ILogger logger, Guid jobId);
}

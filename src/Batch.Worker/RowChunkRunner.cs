using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Worker.Execution;

namespace Batch.Worker;

internal sealed partial class RowChunkRunner(
    JobContextLoader loader, ChunkExecution execution, RowStore store, RowTelemetry telemetry, ILogger<RowChunkRunner> logger) : IRowChunkRunner
{
    public Task RunChunkAsync(Guid jobId, string jobName, int chunk, CancellationToken cancellationToken) =>
        RunAsync(jobId, chunk, cancellationToken);

    public Task RestartAsync(Guid jobId, string jobName, CancellationToken cancellationToken) =>
        RunAsync(jobId, chunk: 0, cancellationToken);

    private async Task RunAsync(Guid jobId, int chunk, CancellationToken cancellationToken)
    {
        var job = await loader.LoadRunnableAsync(jobId, cancellationToken);
        if (job?.Status != JobStatus.Running)
        {
            return;
        }

        var summary = await execution.RunAsync(job, rowLimit: null, cancellationToken);
        LogChunk(logger, chunk, jobId, Environment.ProcessId, summary.Recorded, summary.Superseded, summary.Released);
        if (await store.TryFinishAsync(jobId, CancellationToken.None) is not null)
        {
            telemetry.Forget(jobId);
        }
    }

    // Tests count rows per process from this line; keep "recorded {Recorded}" in it.
    [LoggerMessage(Level = LogLevel.Information, Message = "Chunk {Chunk} of job {JobId} in process {ProcessId} done: recorded {Recorded}, superseded {Superseded}, released {Released}")]
    private static partial void LogChunk(ILogger logger, int chunk, Guid jobId, int processId, int recorded, int superseded, int released);
}

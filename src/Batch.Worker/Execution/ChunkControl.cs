using Batch.Data.Entities;

namespace Batch.Worker.Execution;

/// <summary>Lets the rows of a chunk stop the chunk: new sends stop once <see cref="Stopping"/> is canceled.</summary>
internal sealed class ChunkControl(Guid jobId, CancellationTokenSource stop, RowStore store)
{
    public CancellationToken Stopping => stop.Token;

    /// <summary>Pauses the job (when it is still running) with a reason, and stops this chunk's sends.</summary>
    public async Task PauseJobAsync(string reason)
    {
        await store.StopAsync(jobId, JobStatus.Paused, reason, CancellationToken.None);
        await stop.CancelAsync();
    }

    /// <summary>Stops this chunk's sends; for a job something else has paused already.</summary>
    public Task StopSendingAsync() => stop.CancelAsync();
}

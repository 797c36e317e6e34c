using Batch.Data.Entities;

namespace Batch.Worker.Execution;

/// <summary>
/// Lets the rows of a chunk stop the chunk (new sends stop once <see cref="Stopping"/> is canceled), and counts what the
/// chunk holds: rows claimed and not finished, and of those the ones whose request is out. The counts are memory only;
/// the chunk publishes them at every status poll, so the hot path never writes them.
/// </summary>
internal sealed class ChunkControl(Guid jobId, CancellationTokenSource stop, RowStore store)
{
    private int _held;
    private int _inFlight;

    public CancellationToken Stopping => stop.Token;

    /// <summary>Claimed rows waiting for a request slot, budget or a retry, and requests sent and not yet answered.</summary>
    public (int Claimed, int InFlight) Counts
    {
        get
        {
            var inFlight = Volatile.Read(ref _inFlight);
            return (Math.Max(0, Volatile.Read(ref _held) - inFlight), inFlight);
        }
    }

    public void RowsClaimed(int rows) => Interlocked.Add(ref _held, rows);

    /// <summary>A row left the chunk: recorded, superseded or given back.</summary>
    public void RowDone() => Interlocked.Decrement(ref _held);

    public void RequestSent() => Interlocked.Increment(ref _inFlight);

    public void RequestAnswered() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Pauses the job (when it is still running) with a reason, and stops this chunk's sends.</summary>
    public async Task PauseJobAsync(string reason)
    {
        await store.StopAsync(jobId, JobStatus.Paused, reason, CancellationToken.None);
        await stop.CancelAsync();
    }

    /// <summary>Stops this chunk's sends; for a job something else has paused already.</summary>
    public Task StopSendingAsync() => stop.CancelAsync();
}

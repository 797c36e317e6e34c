using System.Collections.Concurrent;
using System.Threading.Channels;
using Batch.Data.Entities;
using Microsoft.Extensions.Options;

namespace Batch.Worker.Execution;

/// <summary>What one chunk did.</summary>
internal sealed record ChunkSummary(int Recorded, int Superseded, int Released);

/// <summary>
/// The loop of a chunk: claim rows in batches under one lease token, run them with up to
/// <see cref="WorkerOptions.MaxConcurrentRequests"/> in flight, renew the leases while they are held, watch
/// the job's status every <see cref="WorkerOptions.StatusPollInterval"/>, and stop when no row is left.
/// </summary>
internal sealed partial class ChunkExecution(RowStore store, ChunkActivityStore activity, RowProcessor processor, IOptions<WorkerOptions> options, ILogger<ChunkExecution> logger)
{
    /// <param name="rowLimit">Claim at most this many rows (the warm-up sends one); null: until none is left.</param>
    /// <param name="abort">The process is stopping: requests in flight are abandoned and their rows given back.</param>
    public async Task<ChunkSummary> RunAsync(JobContext job, int? rowLimit, CancellationToken abort)
    {
        var settings = options.Value;
        var leaseToken = Guid.CreateVersion7();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        using var finished = new CancellationTokenSource();
        var control = new ChunkControl(job.Id, stop, store);
        var watching = WatchStatusAsync(job.Id, leaseToken, control, stop, settings.StatusPollInterval, finished.Token);
        var renewing = RenewLeasesAsync(job.Id, leaseToken, settings.LeaseDuration, finished.Token);

        var rows = Channel.CreateBounded<ClaimedRow>(new BoundedChannelOptions(ClaimSize(settings)) { SingleWriter = true });
        var claiming = ClaimAsync(job.Id, leaseToken, rowLimit, rows.Writer, control, settings, stop.Token);
        var released = new ConcurrentBag<int>();
        int recorded = 0, superseded = 0;
        try
        {
            await Parallel.ForEachAsync(
                rows.Reader.ReadAllAsync(CancellationToken.None),
                new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrentRequests },
                async (row, _) =>
                {
                    var fate = await processor.ProcessAsync(job, row, leaseToken, control, abort);
                    control.RowDone();
                    switch (fate)
                    {
                        case RowFate.Recorded:
                            Interlocked.Increment(ref recorded);
                            break;
                        case RowFate.Superseded:
                            Interlocked.Increment(ref superseded);
                            break;
                        default:
                            released.Add(row.Seq);
                            break;
                    }
                });
            await claiming;
        }
        finally
        {
            await finished.CancelAsync();
            await Task.WhenAll(watching, renewing);
            await store.ReleaseAsync(job.Id, [.. released], leaseToken, CancellationToken.None);
            await activity.ForgetAsync(job.Id, leaseToken, CancellationToken.None);
        }
        return new ChunkSummary(recorded, superseded, released.Count);
    }

    /// <summary>
    /// Rows claimed at once, and buffered, never more than the process can have in flight: a process that hoards rows
    /// it cannot send yet keeps them from workers that could.
    /// </summary>
    private static int ClaimSize(WorkerOptions settings) => Math.Max(1, Math.Min(settings.ClaimBatchSize, settings.MaxConcurrentRequests));

    private async Task ClaimAsync(
        Guid jobId, Guid leaseToken, int? rowLimit, ChannelWriter<ClaimedRow> rows, ChunkControl control, WorkerOptions settings, CancellationToken stopping)
    {
        Exception? failure = null;
        try
        {
            var claimed = 0;
            var after = 0;
            while (!stopping.IsCancellationRequested)
            {
                var wanted = Math.Min(ClaimSize(settings), (rowLimit ?? int.MaxValue) - claimed);
                if (wanted <= 0)
                {
                    break;
                }
                var batch = await store.ClaimAsync(jobId, wanted, leaseToken, settings.LeaseDuration, after, stopping);
                if (batch.Count == 0)
                {
                    // Rows other claims hold may still come back (their worker may die): wait for them unless this is the warm-up.
                    if (rowLimit is not null || await store.OthersLeaseExpiryAsync(jobId, leaseToken, stopping) is null)
                    {
                        break;
                    }
                    await Task.Delay(settings.StatusPollInterval, stopping);
                    continue;
                }
                claimed += batch.Count;
                // Sorted by seq: the last is the furthest this chunk has come.
                after = batch[^1].Seq;
                control.RowsClaimed(batch.Count);
                foreach (var row in batch)
                {
                    // Not cancelable: a claimed row must reach a consumer, which gives it back if the chunk stopped.
                    await rows.WriteAsync(row, CancellationToken.None);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Handed to the consumers through the channel, which rethrow it once in-flight rows are done.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }
        rows.TryComplete(failure);
    }

    /// <summary>
    /// Every <paramref name="interval"/>: publishes what the chunk holds (claimed, in flight) and reads the job's status in
    /// the same round trip; stops the chunk's sends once the job is no longer running.
    /// </summary>
    private async Task WatchStatusAsync(Guid jobId, Guid chunkId, ChunkControl control, CancellationTokenSource stop, TimeSpan interval, CancellationToken finished)
    {
        // Readers ignore a chunk that missed a few polls: its process has died, and its rows are nobody's until their leases expire.
        var freshFor = (interval * 3) + TimeSpan.FromSeconds(2);
        try
        {
            while (!finished.IsCancellationRequested)
            {
                await Task.Delay(interval, finished);
                var (claimed, inFlight) = control.Counts;
                var status = await activity.PublishAsync(jobId, chunkId, claimed, inFlight, freshFor, finished);
                if (status != JobStatus.Running)
                {
                    LogStopping(logger, jobId, status);
                    await stop.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (finished.IsCancellationRequested)
        {
        }
    }

    private async Task RenewLeasesAsync(Guid jobId, Guid leaseToken, TimeSpan lease, CancellationToken finished)
    {
        while (!finished.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(lease / 3, finished);
                await store.RenewAsync(jobId, leaseToken, lease, finished);
            }
            catch (OperationCanceledException) when (finished.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed renewal is retried at the next tick; the lease has two more thirds to go.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogRenewFailed(logger, e, jobId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} is {Status}: no new requests from this chunk")]
    private static partial void LogStopping(ILogger logger, Guid jobId, JobStatus? status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the leases of job {JobId} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, Guid jobId);
}

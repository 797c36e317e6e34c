using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Messages;
using Batch.Worker.Execution;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Batch.Worker.ProviderBatches;

/// <summary>What a tick did: whether anything moved (look again soon), and whether the job needs no more ticks.</summary>
internal readonly record struct TickOutcome(bool Moved, bool Done);

/// <summary>
/// One tick's work for a job, under its <see cref="JobLock"/>: resolve intents a crash left, poll the slices at the provider
/// (asking it to cancel them when the job no longer runs), import the results of ended ones, then, while the job runs, cut
/// and submit more slices as the account's queue has room, and finish the job when nothing is left.
/// </summary>
internal sealed partial class ProviderBatchDriver(
    JobContextLoader loader,
    SliceStore store,
    SliceCutter cutter,
    SliceSubmitter submitter,
    SliceRecovery recovery,
    SliceImporter importer,
    ProviderCalls calls,
    RowStore rows,
    IBackgroundJobClient jobs,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<ProviderBatchDriver> logger)
{
    // A tick that cuts this many slices lets the next tick cut more: one tick never holds the job for long.
    private const int MostSlicesPerTick = 10;

    public async Task<TickOutcome> TickAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var job = await loader.LoadRunnableAsync(jobId, cancellationToken);
        if (job is null)
        {
            return new TickOutcome(false, true);
        }
        var running = job.Status == JobStatus.Running;
        var open = await store.OpenAsync(jobId, cancellationToken);
        if (open.Count == 0 && !(running && job.Delivery == Delivery.ProviderBatch))
        {
            return new TickOutcome(false, true);
        }
        if (AccountKeys.Resolve(job, configuration, out var missing) is not { } account)
        {
            // Without a key nothing at the provider can be read: the chain waits, with backoff, for the key and a resume.
            await rows.StopAsync(jobId, JobStatus.Paused, missing, cancellationToken);
            return new TickOutcome(false, false);
        }

        var moved = false;
        foreach (var slice in open)
        {
            moved |= await DriveAsync(job, account, slice, running, cancellationToken);
        }
        if (running && job.Delivery == Delivery.ProviderBatch)
        {
            moved |= await SubmitAsync(job, account, cancellationToken);
            await SwitchWhenDeadlineNeedsAsync(job, cancellationToken);
        }
        if ((await store.OpenAsync(jobId, cancellationToken)).Count > 0)
        {
            return new TickOutcome(moved, false);
        }
        if (running && await rows.TryFinishAsync(jobId, cancellationToken) is { } finished)
        {
            LogFinished(logger, jobId, finished);
            return new TickOutcome(moved, true);
        }
        var now = await loader.LoadAsync(jobId, cancellationToken);
        return new TickOutcome(moved, now is null || now.Status != JobStatus.Running || now.Delivery != Delivery.ProviderBatch);
    }

    /// <summary>Moves one slice on as far as it goes this tick; true when it changed state.</summary>
    private async Task<bool> DriveAsync(JobContext job, MessagesAccount account, Slice slice, bool running, CancellationToken cancellationToken)
    {
        try
        {
            switch (slice.Status)
            {
                case ProviderBatchStatus.Intent:
                    return await recovery.RecoverAsync(job, account, slice, running, cancellationToken) != RecoveryOutcome.Wait;
                case ProviderBatchStatus.InProgress:
                    if (await PollAsync(account, slice, running, cancellationToken) is not { } ended)
                    {
                        return false;
                    }
                    await store.SetEndedAsync(slice.Id, ended, cancellationToken);
                    await importer.ImportAsync(job, account, slice with { Status = ProviderBatchStatus.Ended }, cancellationToken);
                    return true;
                default:
                    await importer.ImportAsync(job, account, slice, cancellationToken);
                    return true;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The next tick takes the slice up where it stands; one slice's trouble must not stop the others.
            LogSliceFailed(logger, e, slice.Id, job.Id);
            return false;
        }
    }

    /// <summary>The provider's batch once it has ended; null while it runs. A job that no longer runs has its batch canceled first.</summary>
    private async Task<ProviderBatchInfo?> PollAsync(MessagesAccount account, Slice slice, bool running, CancellationToken cancellationToken)
    {
        var id = slice.ProviderBatchId!;
        if (!running && slice.CancelRequestedAt is null
            && await calls.CancelAsync(account, id, cancellationToken) is { Batch: not null })
        {
            await store.SetCancelRequestedAsync(slice.Id, cancellationToken);
            LogCanceled(logger, slice.Id, id);
        }
        var polled = await calls.RetrieveAsync(account, id, cancellationToken);
        if (polled?.Attempt.HttpStatus == 404)
        {
            // Gone at the provider: there is nothing to wait for; the import gives its rows back.
            return new ProviderBatchInfo(id, "ended", new ProviderBatchCounts(0, 0, 0, 0, 0), null, null, null);
        }
        return polled?.Batch is { HasEnded: true } batch ? batch : null;
    }

    /// <summary>Cuts and submits slices while rows wait, the account's queue has room and the caps allow; true when one was submitted.</summary>
    private async Task<bool> SubmitAsync(JobContext job, MessagesAccount account, CancellationToken cancellationToken)
    {
        var firstSendsOnly = !ResendRules.SliceFitsDeadline(job, time.GetUtcNow());
        var submitted = false;
        for (var i = 0; i < MostSlicesPerTick; i++)
        {
            var (outcome, slice) = await cutter.CutAsync(job, firstSendsOnly, cancellationToken);
            if (outcome != CutOutcome.Cut)
            {
                return submitted;
            }
            if (await submitter.SubmitAsync(job, account, slice!, null, cancellationToken) != SubmitOutcome.Submitted)
            {
                return true;
            }
            submitted = true;
        }
        return submitted;
    }

    /// <summary>
    /// Once the provider's window no longer fits before the deadline, rows to send again cannot go by slice: when they are all
    /// that is left to send, the job goes on by Messages requests (chunks, within the account's per-minute budgets).
    /// </summary>
    private async Task SwitchWhenDeadlineNeedsAsync(JobContext job, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (ResendRules.SliceFitsDeadline(job, now) || await store.PendingAsync(job.Id, cancellationToken) is not (0, > 0 and var retries))
        {
            return;
        }
        var reason = FormattableString.Invariant(
            $"At {now:yyyy-MM-dd HH:mm}Z {retries} rows to send again had less than the provider's {job.Account.BatchWindow.TotalHours:0.#} h window before the deadline ({job.DeadlineAt:yyyy-MM-dd HH:mm}Z): the job went on by Messages requests.");
        if (await store.SwitchToMessagesAsync(job.Id, reason, cancellationToken))
        {
            LogSwitched(logger, job.Id, retries);
            jobs.EnqueueStart(job.Id, job.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {SliceId} of job {JobId} could not be driven this tick")]
    private static partial void LogSliceFailed(ILogger logger, Exception exception, Guid sliceId, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slice {SliceId}: asked the provider to cancel {ProviderBatchId}")]
    private static partial void LogCanceled(ILogger logger, Guid sliceId, string providerBatchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Retries} rows to send again go by Messages requests, the deadline being nearer than the provider's window")]
    private static partial void LogSwitched(ILogger logger, Guid jobId, long retries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Status}")]
    private static partial void LogFinished(ILogger logger, Guid jobId, JobStatus status);
}

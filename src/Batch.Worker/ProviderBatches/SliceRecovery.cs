using Batch.Messages;
using Batch.Worker.Execution;
using Microsoft.Extensions.Options;

namespace Batch.Worker.ProviderBatches;

/// <summary>What became of an intent found without a provider id.</summary>
internal enum RecoveryOutcome
{
    /// <summary>Too young, or the provider's list could not be read: look again at the next tick.</summary>
    Wait,

    /// <summary>A batch in the provider's list matched it; the slice is that batch.</summary>
    Adopted,

    /// <summary>None matched: it was sent (again), or its rows went back because the job no longer runs.</summary>
    Resolved,
}

/// <summary>
/// Resolves an intent a crash left without the provider's id: the process died after the intent committed and before the
/// create call's answer was recorded, so the batch may or may not exist. The provider's list (newest first) is read back to
/// just before the intent; a batch created after the intent (less <see cref="ProviderBatchOptions.ClockSkew"/>) with the
/// slice's request count, that no other slice holds, is adopted (the earliest such). Only when none matches is the slice sent
/// again, so no slice is submitted twice.
/// </summary>
/// <remarks>
/// The ambiguous case: a batch of the same size created on the same account by something else (another tool, another Batch
/// database) in that window looks exactly like the lost one, since a batch object carries no custom_ids. Batch adopts it;
/// when its results come, none names the slice's rows, so the import records nothing from it and sends the rows again.
/// </remarks>
internal sealed partial class SliceRecovery(
    ProviderCalls calls, SliceStore store, SliceSubmitter submitter, TimeProvider time, IOptionsMonitor<ProviderBatchOptions> options, ILogger<SliceRecovery> logger)
{
    public async Task<RecoveryOutcome> RecoverAsync(JobContext job, MessagesAccount account, Slice intent, bool jobRunning, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (time.GetUtcNow() - intent.CreatedAt < settings.RecoveryGrace)
        {
            return RecoveryOutcome.Wait;
        }
        var since = intent.CreatedAt - settings.ClockSkew;
        var candidates = new List<ProviderBatchInfo>();
        string? after = null;
        for (var page = 0; page < settings.ListMaxPages; page++)
        {
            var list = await calls.ListAsync(account, after, settings.ListPageSize, cancellationToken);
            if (list is not { Attempt.Outcome: AttemptOutcome.Succeeded })
            {
                await store.NoteAsync(intent.Id, $"The provider's batch list could not be read to recover this intent: {list?.Attempt.Error?.Message ?? "the account's circuit is open"}.", cancellationToken);
                return RecoveryOutcome.Wait;
            }
            candidates.AddRange(list.Batches.Where(b => b.CreatedAt >= since && b.Counts.Total == intent.RequestCount));
            if (!list.HasMore || list.Batches.Count == 0 || list.Batches[^1].CreatedAt < since)
            {
                break;
            }
            after = list.LastId;
        }

        var known = candidates.Count == 0 ? [] : await store.KnownAsync(account.Id, [.. candidates.Select(c => c.Id)], cancellationToken);
        if (candidates.Where(c => !known.Contains(c.Id)).OrderBy(c => c.CreatedAt).FirstOrDefault() is { } match)
        {
            await store.SetSubmittedAsync(intent.Id, match.Id,
                "Adopted after a crash: the provider's list has a batch created after the intent with its request count.", cancellationToken);
            LogAdopted(logger, intent.Id, job.Id, match.Id);
            return RecoveryOutcome.Adopted;
        }
        if (!jobRunning)
        {
            await store.AbandonAsync(job.Id, intent.Id, "Never reached the provider, and the job no longer runs: its rows went back.", cancellationToken);
            return RecoveryOutcome.Resolved;
        }
        LogResubmitting(logger, intent.Id, job.Id);
        await submitter.SubmitAsync(job, account, intent,
            "Submitted after a crash: no batch in the provider's list matched the intent.", cancellationToken);
        return RecoveryOutcome.Resolved;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {SliceId} of job {JobId}: the intent a crash left was found at the provider as {ProviderBatchId}, adopted")]
    private static partial void LogAdopted(ILogger logger, Guid sliceId, Guid jobId, string providerBatchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {SliceId} of job {JobId}: the intent a crash left is not at the provider; submitting it")]
    private static partial void LogResubmitting(ILogger logger, Guid sliceId, Guid jobId);
}

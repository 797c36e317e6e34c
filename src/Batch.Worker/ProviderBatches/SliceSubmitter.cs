using System.Runtime.CompilerServices;
using Batch.Data.Entities;
using Batch.Messages;
using Batch.Worker.Execution;
using Batch.Worker.Requests;
using Microsoft.Extensions.Options;

namespace Batch.Worker.ProviderBatches;

/// <summary>What a create call came to.</summary>
internal enum SubmitOutcome
{
    /// <summary>The provider answered with the batch's id; the slice is in progress.</summary>
    Submitted,

    /// <summary>No answer (a broken connection, a timeout, a 5xx): the batch may or may not exist. The intent stays for recovery.</summary>
    Unknown,

    /// <summary>Refused with 429: the provider's queue is full. The rows went back; try later.</summary>
    QueueFull,

    /// <summary>Refused for a reason every slice would meet (key, billing, a request the provider rejects): the job was paused.</summary>
    Stopped,
}

/// <summary>
/// Sends a committed intent: <c>POST /v1/messages/batches</c> with the slice's rows, read in seq order and built into requests as
/// they stream out (the same requests, byte for byte, the cutter measured), then records the provider's id. The call is never
/// retried in place: only an answer proves whether the batch exists.
/// </summary>
internal sealed partial class SliceSubmitter(
    IProviderBatchesClient client, SliceStore store, RowStore rows, IOptionsMonitor<ProviderBatchOptions> options, ILogger<SliceSubmitter> logger)
{
    /// <param name="note">Kept on the slice once submitted (a resubmission after a crash says so).</param>
    public async Task<SubmitOutcome> SubmitAsync(JobContext job, MessagesAccount account, Slice slice, string? note, CancellationToken cancellationToken)
    {
        var call = await client.CreateAsync(account, new ProviderBatchBody(RequestsAsync(job, slice.Id, cancellationToken), slice.Bytes), cancellationToken);
        if (call.Batch is { } batch)
        {
            await store.SetSubmittedAsync(slice.Id, batch.Id, note, cancellationToken);
            LogSubmitted(logger, slice.Id, job.Id, batch.Id, slice.RequestCount);
            return SubmitOutcome.Submitted;
        }
        var attempt = call.Attempt;
        var said = $"HTTP {attempt.HttpStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(no answer)"} {attempt.Error?.Type}: {attempt.Error?.Message}";
        if (attempt.HttpStatus is null or >= 500 or (>= 200 and < 300))
        {
            await store.NoteAsync(slice.Id, $"The create call got no usable answer ({said}); the provider's list decides whether it was created.", cancellationToken);
            LogUnknown(logger, slice.Id, job.Id, said);
            return SubmitOutcome.Unknown;
        }
        // A 4xx answer: nothing was created.
        await store.AbandonAsync(job.Id, slice.Id, $"Refused by the provider ({said}).", cancellationToken);
        if (attempt.HttpStatus == 429 && attempt.Outcome != AttemptOutcome.PauseJob)
        {
            return SubmitOutcome.QueueFull;
        }
        var reason = attempt.Outcome == AttemptOutcome.PauseJob
            ? $"Account '{account.Name}' refused a provider batch ({said}). Fix its key, billing or spend limit, then resume."
            : $"The provider refused a provider batch of {slice.RequestCount} requests ({said}). Fix the spec, or send the job with delivery messages, then resume.";
        await rows.StopAsync(job.Id, JobStatus.Paused, reason, cancellationToken);
        LogRefused(logger, slice.Id, job.Id, said);
        return SubmitOutcome.Stopped;
    }

    private async IAsyncEnumerable<ProviderBatchRequest> RequestsAsync(JobContext job, Guid sliceId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = 0;
        while (true)
        {
            var page = await store.PageAsync(job.Id, sliceId, after, options.CurrentValue.ReadPage, cancellationToken);
            if (page.Count == 0)
            {
                yield break;
            }
            foreach (var (seq, customId, input) in page)
            {
                after = seq;
                yield return new ProviderBatchRequest(customId, RequestBuilder.Build(job, input, out _));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slice {SliceId} of job {JobId} submitted as {ProviderBatchId}: {Requests} requests")]
    private static partial void LogSubmitted(ILogger logger, Guid sliceId, Guid jobId, string providerBatchId, int requests);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {SliceId} of job {JobId}: the create call got no usable answer ({Said}); recovery will look for it in the provider's list")]
    private static partial void LogUnknown(ILogger logger, Guid sliceId, Guid jobId, string said);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {SliceId} of job {JobId} refused by the provider: {Said}")]
    private static partial void LogRefused(ILogger logger, Guid sliceId, Guid jobId, string said);
}

using Batch.Data.Entities;
using Batch.Messages;
using Batch.Worker.Execution;
using Microsoft.Extensions.Options;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// Imports an ended slice's results, streamed line by line, through the result writer that records every row: a result is
/// recorded only while the slice still holds its row, so an import cut short by a crash and done again records each row
/// once. <c>succeeded</c> rows are recorded at batch prices; <c>errored</c> rows go out again (a bounded number of times)
/// unless their error would come back the same; <c>expired</c> rows go out again while the deadline allows, else fail as
/// <c>expired</c>; <c>canceled</c> rows, and rows the results do not name, go back to pending (canceled, when the job was).
/// </summary>
internal sealed partial class SliceImporter(
    IProviderBatchesClient client, SliceStore store, RowStore rows, ResultWriter writer, TimeProvider time,
    IOptionsMonitor<ProviderBatchOptions> options, ILogger<SliceImporter> logger)
{
    public async Task ImportAsync(JobContext job, MessagesAccount account, Slice slice, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var held = await store.RowsAsync(job.Id, slice.Id, cancellationToken);
        var heldAtStart = held.Count;
        var back = new List<int>();
        var writes = new List<Task<bool>>();
        int recorded = 0, failed = 0;
        var gone = false;
        var now = time.GetUtcNow();
        try
        {
            await foreach (var result in client.ResultsAsync(account, slice.ProviderBatchId!, cancellationToken))
            {
                // Rows recorded by an earlier import, or not this slice's, are no longer held: their lines are skipped.
                if (!held.Remove(result.CustomId, out var row))
                {
                    continue;
                }
                switch (result)
                {
                    case { Type: "succeeded", Message: { } message }:
                        writes.Add(writer.WriteAsync(SucceededRows.From(job, row.Seq, slice.Id, message, 1, row.Model ?? job.Model, Delivery.ProviderBatch, now)));
                        recorded++;
                        break;
                    case { Type: "errored" } when ResendRules.MayRetry(result.Error) && row.Attempts < settings.MaxSubmissions:
                    case { Type: "expired" } when ResendRules.MayResendExpired(job, row.Attempts, settings.MaxSubmissions, now):
                        back.Add(row.Seq);
                        break;
                    case { Type: "errored" }:
                        var error = result.Error ?? new ApiError("api_error", "Errored without an error");
                        writes.Add(writer.WriteAsync(Failed(job, slice, row, error.ErrorCode is { } code ? $"{error.Type}:{code}" : error.Type,
                            ResendRules.MayRetry(error) ? $"{error.Message} (gave up after {row.Attempts} provider batches)" : error.Message)));
                        failed++;
                        break;
                    case { Type: "expired" }:
                        writes.Add(writer.WriteAsync(Failed(job, slice, row, "expired", job.DeadlineAt is null
                            ? $"The provider's batch expired before answering, {row.Attempts} times."
                            : "The provider's batch expired before answering, and the deadline leaves no room for another provider batch.")));
                        failed++;
                        break;
                    default:
                        back.Add(row.Seq);
                        break;
                }
                if (writes.Count >= settings.ImportWindow)
                {
                    await Task.WhenAll(writes);
                    writes.Clear();
                }
            }
        }
        catch (ProviderBatchesException missing) when (missing.Attempt.HttpStatus == 404)
        {
            // The provider has no results for it (deleted elsewhere, or never ours): its rows go out again.
            gone = true;
            await store.NoteAsync(slice.Id, $"The provider has no results for it ({missing.Attempt.Error?.Message}); its rows went back.", cancellationToken);
        }
        finally
        {
            await Task.WhenAll(writes);
        }
        back.AddRange(held.Values.Select(r => r.Seq));
        await rows.ReleaseAsync(job.Id, [.. back], slice.Id, CancellationToken.None);
        var note = !gone && heldAtStart > 0 && held.Count == heldAtStart
            ? "None of the provider batch's results named this slice's rows: it was another client's batch of the same size, adopted in the ambiguous case. Its rows went back to be sent again."
            : null;
        await store.SetImportedAsync(slice.Id, note, CancellationToken.None);
        LogImported(logger, slice.Id, job.Id, recorded, failed, back.Count);
    }

    private static RowResult Failed(JobContext job, Slice slice, SliceRow row, string errorType, string message) =>
        new(job.Id, row.Seq, slice.Id, RowStatus.Failed, 1, default, null, ErrorType: errorType, ErrorMessage: message,
            Model: row.Model ?? job.Model, Delivery: Delivery.ProviderBatch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slice {SliceId} of job {JobId} imported: {Succeeded} succeeded, {Failed} failed, {Back} rows to send again")]
    private static partial void LogImported(ILogger logger, Guid sliceId, Guid jobId, int succeeded, int failed, int back);
}

namespace Batch.Messages;

/// <summary>The parts of the provider's batch object Batch uses; read tolerantly, like every answer.</summary>
/// <param name="ProcessingStatus"><c>in_progress</c>, <c>canceling</c> or <c>ended</c> (kept as text: the set may grow).</param>
public sealed record ProviderBatchInfo(
    string Id,
    string ProcessingStatus,
    ProviderBatchCounts Counts,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? ExpiresAt)
{
    public bool HasEnded => ProcessingStatus == "ended";
}

/// <summary><c>request_counts</c>; <see cref="Total"/> is the batch's number of requests.</summary>
public sealed record ProviderBatchCounts(int Processing, int Succeeded, int Errored, int Canceled, int Expired)
{
    public int Total => Processing + Succeeded + Errored + Canceled + Expired;
}

/// <summary>A call that answers with one batch object: the classified attempt and, when it succeeded, the batch.</summary>
public sealed record ProviderBatchCall(MessagesAttempt Attempt, ProviderBatchInfo? Batch);

/// <summary>A call that answers with a page of batches, newest first.</summary>
public sealed record ProviderBatchListCall(MessagesAttempt Attempt, IReadOnlyList<ProviderBatchInfo> Batches, bool HasMore, string? LastId);

/// <summary>One result line: <c>succeeded</c> with its message, <c>errored</c> with its error, or <c>canceled</c> / <c>expired</c>.</summary>
public sealed record ProviderBatchResult(string CustomId, string Type, MessageResponse? Message, ApiError? Error);

/// <summary>A results stream that could not be read; the attempt says why (its outcome says whether trying again can help).</summary>
public sealed class ProviderBatchesException(MessagesAttempt attempt)
    : Exception($"Reading batch results failed: HTTP {attempt.HttpStatus} {attempt.Error?.Type}: {attempt.Error?.Message}")
{
    public MessagesAttempt Attempt { get; } = attempt;
}

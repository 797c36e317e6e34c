namespace Batch.Simulator;

/// <summary>The Message Batches API's batch object; times are UTC and serialize as RFC 3339 with <c>Z</c>.</summary>
internal sealed record MessageBatchResponse(
    string Id,
    string Type,
    string ProcessingStatus,
    MessageBatchRequestCounts RequestCounts,
    DateTime? EndedAt,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime? ArchivedAt,
    DateTime? CancelInitiatedAt,
    string? ResultsUrl);

internal sealed record MessageBatchRequestCounts(int Processing, int Succeeded, int Errored, int Canceled, int Expired);

/// <summary>One page of <c>GET /v1/messages/batches</c>, newest first.</summary>
internal sealed record MessageBatchList(IReadOnlyList<MessageBatchResponse> Data, bool HasMore, string? FirstId, string? LastId);

internal sealed record MessageBatchDeleted(string Id, string Type);

/// <summary>Counters of the Message Batches API, in <c>/_simulator/stats</c>: a slice submitted twice shows as one batch too many.</summary>
public sealed record BatchCounts(
    long Submitted,
    long RequestsSubmitted,
    long Canceled,
    long Deleted,
    long RequestsSucceeded,
    long RequestsErrored,
    long RequestsExpired,
    long RequestsCanceled);

/// <summary>
/// The Message Batches queue in <c>/_simulator/stats</c>: the most requests ever waiting across the batches in progress (a
/// client that keeps to a queue limit never pushes it past that), and creates refused with a 429 for passing
/// <see cref="SimulatorOptions.BatchQueueLimit"/>.
/// </summary>
public sealed record BatchQueueCounts(long PeakWaitingRequests, long CreatesRefused);

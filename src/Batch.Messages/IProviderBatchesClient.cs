namespace Batch.Messages;

/// <summary>
/// The provider's Message Batches API (<c>/v1/messages/batches</c>): one attempt per call, classified as a Messages attempt is
/// (so <see cref="MessagesResilience"/> can retry the idempotent ones), nothing thrown for HTTP errors or broken connections.
/// Only the results stream throws (<see cref="ProviderBatchesException"/>), as it reads while the caller consumes.
/// </summary>
public interface IProviderBatchesClient
{
    /// <summary>
    /// <c>POST /v1/messages/batches</c>, the body streamed. Not idempotent: an attempt without an answer (a broken connection,
    /// a timeout, a 5xx) may or may not have created the batch, and is not retried here.
    /// </summary>
    Task<ProviderBatchCall> CreateAsync(MessagesAccount account, ProviderBatchBody body, CancellationToken cancellationToken);

    Task<ProviderBatchCall> RetrieveAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken);

    /// <summary>Newest first; <paramref name="afterId"/> pages on to older batches.</summary>
    Task<ProviderBatchListCall> ListAsync(MessagesAccount account, string? afterId, int limit, CancellationToken cancellationToken);

    Task<ProviderBatchCall> CancelAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken);

    /// <summary>An ended batch's results (JSONL, in any order), read line by line as the caller consumes them.</summary>
    IAsyncEnumerable<ProviderBatchResult> ResultsAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken);
}

using Batch.Messages;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// The idempotent provider-batch calls (retrieve, list, cancel) under the account's retry pipeline and circuit breaker, like
/// every Messages attempt. The create call is not here: it is never retried in place.
/// </summary>
internal sealed class ProviderCalls(IProviderBatchesClient client, MessagesResilience resilience)
{
    public Task<ProviderBatchCall?> RetrieveAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken) =>
        RetriedAsync(account, token => client.RetrieveAsync(account, batchId, token), call => call.Attempt, cancellationToken);

    public Task<ProviderBatchCall?> CancelAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken) =>
        RetriedAsync(account, token => client.CancelAsync(account, batchId, token), call => call.Attempt, cancellationToken);

    public Task<ProviderBatchListCall?> ListAsync(MessagesAccount account, string? afterId, int limit, CancellationToken cancellationToken) =>
        RetriedAsync(account, token => client.ListAsync(account, afterId, limit, token), call => call.Attempt, cancellationToken);

    /// <summary>The last call made; null when none was (the account's circuit is open).</summary>
    private async Task<T?> RetriedAsync<T>(MessagesAccount account, Func<CancellationToken, Task<T>> call, Func<T, MessagesAttempt> attemptOf, CancellationToken cancellationToken)
        where T : class
    {
        T? last = null;
        await resilience.ExecuteAsync(account.Id, async (_, token) => attemptOf(last = await call(token)), cancellationToken);
        return last;
    }
}

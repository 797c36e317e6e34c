using System.Text.Json.Nodes;
using Batch.Budgets;
using Batch.Data.Entities;
using Batch.Messages;

namespace Batch.Api.Estimates;

/// <summary>Token counts from the provider, or why there are none (the estimate then falls back to characters).</summary>
public sealed record TokenCounts(IReadOnlyList<int>? Counts, string? Unavailable);

/// <summary>
/// Counts prompts with the account's <c>POST /v1/messages/count_tokens</c>, through the thin Messages client and its
/// retry pipeline, each request under the account's own <c>count_tokens</c> budget (a model class of its own, shared by
/// every process like the others: set its limits with PUT /api/accounts/{name}/budgets/count_tokens).
/// </summary>
public sealed class TokenCounter(IMessagesClient client, MessagesResilience resilience, IRateBudgets budgets, IConfiguration configuration)
{
    public async Task<TokenCounts> CountAsync(ProviderAccount account, IReadOnlyList<JsonObject> bodies, int concurrency, CancellationToken cancellationToken)
    {
        if (configuration[account.ApiKeyReference] is not { Length: > 0 } key)
        {
            return new TokenCounts(null, $"the API has no key for account '{account.Name}' (its setting {account.ApiKeyReference} is not set in the API's configuration)");
        }
        var endpoint = new MessagesAccount(account.Id, account.Name, new Uri(account.BaseUrl.TrimEnd('/') + "/"), key, account.ApiVersion);
        var counts = new int[bodies.Count];
        string? unavailable = null;
        var countId = Guid.CreateVersion7();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, bodies.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = stop.Token },
                async (index, token) =>
                {
                    var (last, _) = await resilience.ExecuteAsync(
                        account.Id,
                        async (_, attemptToken) =>
                        {
                            var lease = await budgets.AcquireAsync(new BudgetDemand(account.Id, ModelClasses.CountTokens, countId, 0, 0, 0), attemptToken);
                            MessagesAttempt attempt;
                            try
                            {
                                attempt = await client.CountTokensAsync(endpoint, bodies[index], attemptToken);
                            }
                            catch (OperationCanceledException)
                            {
                                await budgets.ReleaseAsync(lease, CancellationToken.None);
                                throw;
                            }
                            await budgets.SettleAsync(lease, attempt, CancellationToken.None);
                            return attempt;
                        },
                        token);
                    if (last.CountedInputTokens is { } count)
                    {
                        counts[index] = count;
                        return;
                    }
                    Interlocked.CompareExchange(ref unavailable, last.HttpStatus == 404
                        ? $"account '{account.Name}' has no count_tokens endpoint (HTTP 404)"
                        : $"count_tokens failed at account '{account.Name}' ({(last.HttpStatus is { } status ? $"HTTP {status} " : "")}{last.Error?.Type}: {last.Error?.Message})",
                        null);
                    await stop.CancelAsync();
                });
        }
        catch (OperationCanceledException) when (unavailable is not null && !cancellationToken.IsCancellationRequested)
        {
        }
        return unavailable is null ? new TokenCounts(counts, null) : new TokenCounts(null, unavailable);
    }
}

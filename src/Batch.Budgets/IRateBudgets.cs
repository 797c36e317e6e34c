using Batch.Messages;

namespace Batch.Budgets;

/// <summary>
/// The account's RPM, input-TPM and output-TPM budgets, shared by every worker process through
/// PostgreSQL. A request takes its estimated cost before it is sent and settles to its actual usage
/// after; every attempt, retries included, takes budget of its own.
/// </summary>
public interface IRateBudgets
{
    /// <summary>Waits until the budget (and fairness among the account's jobs) allows this request, then takes it.</summary>
    Task<BudgetLease> AcquireAsync(BudgetDemand demand, CancellationToken cancellationToken);

    /// <summary>
    /// Settles a taken lease: to the actual usage when a response came, or refunds what was never used.
    /// A 429's retry-after pauses the budget for every process.
    /// </summary>
    Task SettleAsync(BudgetLease lease, MessagesAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Gives back a lease whose request was never sent (the caller stopped before sending).</summary>
    Task ReleaseAsync(BudgetLease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Estimates the input tokens ITPM will count for a request before sending: the characters outside the cached
    /// prefix at the job's learned tokens-per-character (seeded at 4 characters a token).
    /// </summary>
    int EstimateInputTokens(Guid jobId, int promptCharacters, int cachedPrefixCharacters);
}

/// <summary>What a request is about to cost.</summary>
/// <param name="EstimatedInputTokens">Uncached input plus expected cache writes (what ITPM counts), usually from <see cref="IRateBudgets.EstimateInputTokens"/>.</param>
/// <param name="MaxOutputTokens">max_tokens, reserved until the response settles it (per the account's output mode).</param>
/// <param name="PromptCharacters">Characters of the whole prompt (system, messages, tools), cached prefix included; teaches the job's estimate. 0 = do not learn.</param>
/// <param name="CachedPrefixCharacters">Characters of the prefix expected to be read from the cache; counted into ITPM only for models whose cache reads count.</param>
public sealed record BudgetDemand(
    Guid AccountId,
    string Model,
    Guid JobId,
    int Priority,
    int EstimatedInputTokens,
    int MaxOutputTokens,
    int PromptCharacters = 0,
    int CachedPrefixCharacters = 0);

/// <summary>Budget taken for one attempt; settle (or release) it exactly once.</summary>
/// <param name="InputTokens">Input tokens taken from ITPM.</param>
/// <param name="OutputTokens">Output tokens reserved from OTPM (max_tokens, or the job's expected output under <c>ActualOutput</c>).</param>
/// <param name="TakenAt">The database clock when the budget was taken; the usage is attributed to this moment.</param>
public sealed record BudgetLease(
    Guid LeaseId,
    Guid AccountId,
    string ModelClass,
    Guid JobId,
    int InputTokens,
    int OutputTokens,
    DateTimeOffset TakenAt)
{
    public int PromptCharacters { get; init; }

    /// <summary>Whether the model's cache reads count toward ITPM (older Haiku), for settling to actual usage.</summary>
    public bool CacheReadsCount { get; init; }
}

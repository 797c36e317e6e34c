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

    /// <summary>Settles a taken lease: to the actual usage when a response came, or refunds what was never used.</summary>
    Task SettleAsync(BudgetLease lease, MessagesAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Estimates a request's input tokens before sending, calibrated on the job's earlier rows.</summary>
    int EstimateInputTokens(Guid jobId, int promptCharacters, int cachedPrefixCharacters);
}

/// <summary>What a request is about to cost.</summary>
/// <param name="EstimatedInputTokens">Uncached input plus expected cache writes (what ITPM counts).</param>
/// <param name="MaxOutputTokens">max_tokens, reserved until the response settles it (per the account's output mode).</param>
public sealed record BudgetDemand(
    Guid AccountId,
    string Model,
    Guid JobId,
    int Priority,
    int EstimatedInputTokens,
    int MaxOutputTokens);

/// <summary>Budget taken for one attempt; settle it exactly once.</summary>
public sealed record BudgetLease(
    Guid LeaseId,
    Guid AccountId,
    string ModelClass,
    Guid JobId,
    int InputTokens,
    int OutputTokens,
    DateTimeOffset TakenAt);

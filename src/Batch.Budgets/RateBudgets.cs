using System.Collections.Concurrent;
using Batch.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Batch.Budgets;

/// <summary>
/// <see cref="IRateBudgets"/> over the shared rows in PostgreSQL: resolves the model's class, prices the request
/// (input estimate, output reservation per the account's mode), queues it fairly in this process and settles
/// it to the actual usage and the server's word.
/// </summary>
internal sealed partial class RateBudgets(
    RateBudgetStore store,
    SettlementQueue settlements,
    ModelClasses classes,
    JobCalibration calibration,
    TimeProvider time,
    IOptions<BudgetOptions> options,
    ILogger<RateBudgets> logger) : IRateBudgets
{
    private readonly ConcurrentDictionary<(Guid AccountId, string ModelClass), BudgetGate> _gates = new();

    public async Task<BudgetLease> AcquireAsync(BudgetDemand demand, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(demand.EstimatedInputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(demand.MaxOutputTokens);
        var modelClass = await classes.ResolveAsync(demand.Model, cancellationToken);
        var input = demand.EstimatedInputTokens;
        if (modelClass.CacheReadsCount && demand.CachedPrefixCharacters > 0)
        {
            input += (int)Math.Ceiling(demand.CachedPrefixCharacters * calibration.TokensPerCharacter(demand.JobId));
        }
        var request = new TakeRequest(
            demand.AccountId, modelClass.Name, input, demand.MaxOutputTokens, calibration.ExpectedOutputTokens(demand.JobId, demand.MaxOutputTokens));
        var gate = _gates.GetOrAdd((demand.AccountId, modelClass.Name), _ => new BudgetGate(store, time, options.Value, ReleaseUnclaimedAsync));
        var taken = await gate.TakeAsync(request, demand.JobId, demand.Priority, cancellationToken);
        return new BudgetLease(Guid.CreateVersion7(), demand.AccountId, modelClass.Name, demand.JobId, input, taken.OutputReserved, taken.Now)
        {
            PromptCharacters = demand.PromptCharacters,
            CacheReadsCount = modelClass.CacheReadsCount,
        };
    }

    public async Task SettleAsync(BudgetLease lease, MessagesAttempt attempt, CancellationToken cancellationToken)
    {
        if (attempt.Message?.Usage is { } usage)
        {
            calibration.Learn(
                lease.JobId,
                lease.PromptCharacters,
                (long)usage.InputTokens + usage.CacheCreationInputTokens + usage.CacheReadInputTokens,
                usage.OutputTokens);
        }
        var settlement = Settlements.ForAttempt(lease, attempt);
        if (settlement.Pause is { } pause)
        {
            LogPaused(logger, lease.AccountId, lease.ModelClass, pause.TotalSeconds);
        }
        await settlements.SettleAsync(lease, settlement).WaitAsync(cancellationToken);
    }

    public Task ReleaseAsync(BudgetLease lease, CancellationToken cancellationToken) =>
        settlements.SettleAsync(lease, Settlements.ForRelease(lease)).WaitAsync(cancellationToken);

    public int EstimateInputTokens(Guid jobId, int promptCharacters, int cachedPrefixCharacters) =>
        calibration.EstimateInputTokens(jobId, promptCharacters, cachedPrefixCharacters);

    private Task ReleaseUnclaimedAsync(TakeRequest request, TakeResult taken) => ReleaseAsync(
        new BudgetLease(Guid.Empty, request.AccountId, request.ModelClass, Guid.Empty, request.InputTokens, taken.OutputReserved, taken.Now),
        CancellationToken.None);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limited: budget {AccountId}/{ModelClass} paused for {Seconds:0.###} s in every worker")]
    private static partial void LogPaused(ILogger logger, Guid accountId, string modelClass, double seconds);
}

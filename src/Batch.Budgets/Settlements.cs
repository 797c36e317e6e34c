using Batch.Messages;

namespace Batch.Budgets;

/// <summary>Turns what an attempt came to into corrections of the shared budget: refunds, charges, the server's view, a pause.</summary>
internal static class Settlements
{
    // A 429 that names no wait and no reset still stops everyone briefly rather than letting them hammer.
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(1);

    public static Settlement ForAttempt(BudgetLease lease, MessagesAttempt attempt)
    {
        long input, output;
        // A stream cut midway counts what its events showed was used: the server admitted it and generated that much.
        if ((attempt.Message?.Usage ?? attempt.PartialUsage) is { } usage)
        {
            input = usage.InputTokens + usage.CacheCreationInputTokens + (lease.CacheReadsCount ? usage.CacheReadInputTokens : 0);
            output = usage.OutputTokens;
        }
        else if (attempt.HttpStatus is null)
        {
            // No answer at all: the server may have admitted it and generated output, so keep everything taken.
            input = lease.InputTokens;
            output = lease.OutputTokens;
        }
        else
        {
            // An error answer (429, 4xx, 5xx) was refused before any generation: its tokens did not count.
            input = 0;
            output = 0;
        }

        var limits = attempt.RateLimits;
        return new Settlement(
            RequestRefund: 0,
            InputRefund: lease.InputTokens - input,
            OutputRefund: lease.OutputTokens - output,
            limits?.Requests?.Remaining,
            limits?.InputTokens?.Remaining,
            limits?.OutputTokens?.Remaining,
            PauseFor(attempt),
            IsRateLimited(attempt) ? 1 : 0);
    }

    public static Settlement ForRelease(BudgetLease lease) =>
        new(1, lease.InputTokens, lease.OutputTokens, null, null, null, null);

    /// <summary>A rate-limit 429 pauses the budget for retry-after, else until the first exhausted dimension resets. A spend-cap 429 pauses the job, not the budget.</summary>
    private static TimeSpan? PauseFor(MessagesAttempt attempt)
    {
        if (!IsRateLimited(attempt))
        {
            return null;
        }
        if (attempt.RetryAfter is { } retryAfter)
        {
            return retryAfter;
        }
        if (attempt.RateLimits is { } limits)
        {
            var resets = new[] { limits.Requests, limits.InputTokens, limits.OutputTokens, limits.Tokens }
                .Where(d => d is { Remaining: <= 0, Reset: not null })
                .Select(d => d!.Reset!.Value - limits.ObservedAt)
                .Where(wait => wait > TimeSpan.Zero)
                .ToList();
            if (resets.Count > 0)
            {
                return resets.Min();
            }
        }
        return DefaultPause;
    }

    /// <summary>A 429 of the rate limits (counted per budget for the dashboard); a spend-cap 429 is the job's, not the budget's.</summary>
    private static bool IsRateLimited(MessagesAttempt attempt) => attempt.HttpStatus == 429 && attempt.Outcome != AttemptOutcome.PauseJob;
}

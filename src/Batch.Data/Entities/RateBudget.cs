namespace Batch.Data.Entities;

/// <summary>
/// The shared token buckets of one account and model class. Every worker process takes from and
/// settles into this row, so the limits hold across processes and machines. Levels refill
/// continuously from <see cref="RefilledAt"/> at limit/60 per second.
/// </summary>
public class RateBudget
{
    public Guid AccountId { get; set; }
    public required string ModelClass { get; set; }

    public int Rpm { get; set; }
    public int InputTpm { get; set; }
    public int OutputTpm { get; set; }

    public double RequestsAvailable { get; set; }
    public double InputTokensAvailable { get; set; }
    public double OutputTokensAvailable { get; set; }
    public DateTimeOffset RefilledAt { get; set; }

    /// <summary>Set from a 429's retry-after: no worker sends on this budget before then.</summary>
    public DateTimeOffset? PausedUntil { get; set; }

    public int InFlightRequests { get; set; }
    public long InFlightInputTokens { get; set; }
    public long InFlightOutputTokens { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

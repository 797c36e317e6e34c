namespace Batch.Data.Entities;

/// <summary>
/// What one account and model class admitted in one short time slot, attributed to the moment each
/// request was admitted and corrected to its actual usage when it settles. The sum over the last minute
/// is the hard sliding-window check of every take and what the budgets API shows as used; the last ten minutes are
/// the dashboard's budget charts. Slots older than that are deleted.
/// </summary>
public class RateBudgetUsage
{
    public Guid AccountId { get; set; }
    public required string ModelClass { get; set; }
    public DateTimeOffset SlotStart { get; set; }

    public int Requests { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }

    /// <summary>Requests of this slot that the server refused with a rate-limit 429.</summary>
    public int RateLimited { get; set; }
}

namespace Batch.Data.Entities;

/// <summary>
/// What a provider account has spent in one calendar month (UTC), moved by the statement that records rows, so
/// a monthly limit is checked against one row instead of a sum.
/// </summary>
public class AccountMonthlySpend
{
    public Guid AccountId { get; set; }

    /// <summary>The first day of the month (UTC).</summary>
    public DateOnly Month { get; set; }

    public decimal CostUsd { get; set; }
}

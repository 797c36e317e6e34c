namespace Batch.Budgets;

/// <summary>Settings of the shared budgets, bound from <c>Batch:Budgets</c>. The limits themselves are rows (<c>rate_budgets</c>).</summary>
public sealed class BudgetOptions
{
    public const string SectionName = "Batch:Budgets";

    /// <summary>
    /// Bucket capacity in seconds of the limit: the most an idle budget lets through at once, so a start opens with a
    /// burst of this many seconds' worth instead of a full minute's.
    /// </summary>
    public double BurstSeconds { get; set; } = 1;

    /// <summary>
    /// Share of each limit left unused: the buckets refill at limit × (1 − headroom) / 60 per second and the sliding
    /// window holds at most limit × (1 − headroom / 2). It absorbs input estimates that run short until a job is
    /// calibrated and the jitter between a take here and the server's admission.
    /// </summary>
    public double Headroom { get; set; } = 0.03;

    /// <summary>The characters-per-token ratio a job starts from before any of its rows have reported usage.</summary>
    public double InitialCharactersPerToken { get; set; } = 4;

    /// <summary>The longest a waiting process sleeps before reading the budget again, so changed limits and pauses apply soon.</summary>
    public TimeSpan MaxSleep { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The most waiters one transaction on the shared row may grant. Granting many at once is what lets a process keep
    /// hundreds of requests in flight: the row is read and written once for all of them.
    /// </summary>
    public int MaxGrantBatch { get; set; } = 256;

    /// <summary>How long model → class mappings (<c>model_settings</c>) are cached per process.</summary>
    public TimeSpan ModelSettingsRefresh { get; set; } = TimeSpan.FromSeconds(30);
}

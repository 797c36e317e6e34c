namespace Batch.Data.Entities;

/// <summary>
/// What one job recorded in one UTC minute: kept by the statement that records its rows (so it matches the job's
/// counters), and read by the dashboard's charts and rates instead of the rows. Deleted with its job.
/// </summary>
public class JobMinute
{
    public Guid JobId { get; set; }

    /// <summary>The start of the UTC minute the rows were recorded in.</summary>
    public DateTimeOffset Minute { get; set; }

    public int SucceededRows { get; set; }
    public int FailedRows { get; set; }
    public long InputTokens { get; set; }
    public long CacheWrite5mTokens { get; set; }
    public long CacheWrite1hTokens { get; set; }
    public long CacheReadTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
}

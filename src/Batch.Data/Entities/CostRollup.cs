namespace Batch.Data.Entities;

/// <summary>
/// What was recorded in one UTC hour for one project, provider account, model, job, price row and delivery: kept in the same
/// statement that records the rows (so it cannot drift from them and survives a crash), and read by cost reports
/// instead of the rows. Deliberately not tied to <see cref="Job"/>: deleting a job does not undo what it spent.
/// </summary>
public class CostRollup
{
    public long Id { get; set; }

    /// <summary>The start of the UTC hour the rows were recorded in.</summary>
    public DateTimeOffset Hour { get; set; }

    public required string Project { get; set; }
    public Guid AccountId { get; set; }

    /// <summary>The model the rows' requests named (a row may name its own).</summary>
    public required string Model { get; set; }

    public Guid JobId { get; set; }

    /// <summary>The <c>model_prices</c> row the rows were priced at; null when the model had no price (cost 0).</summary>
    public Guid? PriceId { get; set; }

    /// <summary>How the rows were answered: provider-batch rows are priced at the price row's batch multiplier.</summary>
    public Delivery Delivery { get; set; }

    /// <summary>Rows recorded (succeeded or failed).</summary>
    public long Rows { get; set; }

    /// <summary>HTTP attempts sent for those rows, retries included.</summary>
    public long Requests { get; set; }

    public long InputTokens { get; set; }
    public long CacheWrite5mTokens { get; set; }
    public long CacheWrite1hTokens { get; set; }
    public long CacheReadTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }

    /// <summary>What the cache reads saved against uncached input, minus what the writes cost above it; can be negative.</summary>
    public decimal CacheSavingsUsd { get; set; }

    /// <summary>What the rows would have cost at standard prices minus what they cost (provider batches); zero for Messages rows.</summary>
    public decimal BatchSavingsUsd { get; set; }
}

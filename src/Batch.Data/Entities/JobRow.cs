namespace Batch.Data.Entities;

/// <summary>
/// One row of a job: its input, its lease while a worker holds it, and its recorded outcome.
/// The input is written once at upload and the outcome once at completion; claims touch only
/// the small status and lease columns.
/// </summary>
public class JobRow
{
    public Guid JobId { get; set; }

    /// <summary>1-based position in the uploaded file; the row's key within its job.</summary>
    public int Seq { get; set; }

    public required string CustomId { get; set; }

    /// <summary>Template variables (object of strings) or, for params rows, the Messages body, as JSON.</summary>
    public required string Input { get; set; }

    public RowStatus Status { get; set; } = RowStatus.Pending;
    public short Attempts { get; set; }
    public Guid? LeaseToken { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Output content blocks exactly as the API returned them, as JSON.</summary>
    public string? OutputContent { get; set; }
    public string? OutputText { get; set; }

    /// <summary>The answer's object once it matched the job's output schema, as compact JSON; null otherwise.</summary>
    public string? OutputParsed { get; set; }
    public string? StopReason { get; set; }
    public string? StopSequence { get; set; }

    public int InputTokens { get; set; }
    public int CacheWrite5mTokens { get; set; }
    public int CacheWrite1hTokens { get; set; }
    public int CacheReadTokens { get; set; }
    public int OutputTokens { get; set; }

    public string? MessageId { get; set; }
    public string? RequestId { get; set; }
    public string? ResponseModel { get; set; }

    /// <summary>The model the row's request named: what it is priced at and rolled up under.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The worst-case cost reserved against the spend caps by the claim that holds the row; it counts only while the
    /// row is leased, so recording, releasing or reclaiming the row settles it.
    /// </summary>
    public decimal? ReservedUsd { get; set; }
    public int? LatencyMs { get; set; }
    public short? HttpStatus { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    public decimal? CostUsd { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public enum RowStatus : short
{
    Pending = 0,
    Leased = 1,
    Succeeded = 2,
    Failed = 3,
    Canceled = 4,

    /// <summary>Not sent before its job's <see cref="Job.ExpiresAt"/>.</summary>
    Expired = 5,
}

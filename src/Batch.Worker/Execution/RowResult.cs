using Batch.Data.Entities;
using Batch.Data.Pricing;

namespace Batch.Worker.Execution;

/// <summary>The outcome of one row, as it is written to <c>job_rows</c> and added to the job's counters.</summary>
/// <param name="LeaseToken">The claim that sent it: the write only lands while that claim still holds the row (or it is pending).</param>
/// <param name="Attempts">HTTP attempts made under this claim.</param>
internal sealed record RowResult(
    Guid JobId,
    int Seq,
    Guid LeaseToken,
    RowStatus Status,
    short Attempts,
    TokenUsage Usage,
    decimal? CostUsd,
    string? OutputContent = null,
    string? OutputText = null,
    string? StopReason = null,
    string? StopSequence = null,
    string? MessageId = null,
    string? RequestId = null,
    string? ResponseModel = null,
    int? LatencyMs = null,
    short? HttpStatus = null,
    string? ErrorType = null,
    string? ErrorMessage = null);

using Batch.Data.Entities;
using Batch.Data.Pricing;

namespace Batch.Worker.Execution;

/// <summary>The outcome of one row, as it is written to <c>job_rows</c> and added to the job's counters.</summary>
/// <param name="LeaseToken">The claim that sent it: the write only lands while that claim still holds the row (or it is pending).</param>
/// <param name="Attempts">HTTP attempts made under this claim (a schema job's repeated questions included).</param>
/// <param name="Usage">Tokens of every answer under this claim: each is a paid request.</param>
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
    string? OutputParsed = null,
    string? StopReason = null,
    string? StopSequence = null,
    string? MessageId = null,
    string? RequestId = null,
    string? ResponseModel = null,
    int? LatencyMs = null,
    short? HttpStatus = null,
    string? ErrorType = null,
    string? ErrorMessage = null);

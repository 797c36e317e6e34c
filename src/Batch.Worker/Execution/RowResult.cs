using Batch.Data.Entities;
using Batch.Data.Pricing;

namespace Batch.Worker.Execution;

/// <summary>The outcome of one row, as it is written to <c>job_rows</c> and added to the job's counters.</summary>
/// <param name="LeaseToken">The claim that sent it: the write only lands while that claim still holds the row.</param>
/// <param name="Attempts">HTTP attempts made under this claim (a schema job's repeated questions included).</param>
/// <param name="Usage">Tokens of every answer under this claim: each is a paid request.</param>
/// <param name="CostUsd">The cost of every answer under this claim; null when none was priced.</param>
/// <param name="Model">The model the request named: the row is priced and rolled up under it.</param>
/// <param name="PriceId">The <c>model_prices</c> row <paramref name="CostUsd"/> came from; null when there is no cost.</param>
/// <param name="BatchSavingsUsd">What a discounted tier saved against standard prices (provider batches); 0 otherwise.</param>
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
    string? ErrorMessage = null,
    string? Model = null,
    Guid? PriceId = null,
    decimal CacheSavingsUsd = 0,
    decimal BatchSavingsUsd = 0);

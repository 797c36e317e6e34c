using System.Text.Json.Serialization;
using Batch.Api.Apis;
using Batch.Api.Jobs;

namespace Batch.Api.Reports;

/// <summary>USD by kind of token, and the job's recorded total.</summary>
public sealed record UsdByKind(
    decimal Input,
    [property: JsonPropertyName("cache_write_5m")] decimal CacheWrite5m,
    [property: JsonPropertyName("cache_write_1h")] decimal CacheWrite1h,
    decimal CacheRead,
    decimal Output,
    decimal Total);

/// <summary>A <c>model_prices</c> row the job's rows were priced at (USD per million tokens), and the models priced at it.</summary>
public sealed record AppliedPrice(PricesApi.PriceResponse Price, IReadOnlyList<string> Models);

/// <summary>
/// The answer of <c>GET /api/jobs/{id}/cost</c>. <c>cache_hit_rate</c> is cache-read tokens over all tokens of cached
/// prefixes (read or written); null before any. <c>unpriced_models</c> answered but have no price (their cost is 0).
/// </summary>
public sealed record JobCost(
    Guid JobId,
    long Rows,
    long Requests,
    JobTokens Tokens,
    UsdByKind CostUsd,
    double? CacheHitRate,
    decimal CacheSavingsUsd,
    decimal BatchSavingsUsd,
    decimal? MaxCostUsd,
    IReadOnlyList<AppliedPrice> Prices,
    IReadOnlyList<string> UnpricedModels);

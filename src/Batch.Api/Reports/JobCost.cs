using System.Text.Json.Serialization;

namespace Batch.Api.Reports;

/// <summary>Tokens by kind.</summary>
public sealed record TokensByKind(
    long Input,
    [property: JsonPropertyName("cache_write_5m")] long CacheWrite5m,
    [property: JsonPropertyName("cache_write_1h")] long CacheWrite1h,
    long CacheRead,
    long Output);

/// <summary>USD by kind of token, and the job's recorded total.</summary>
public sealed record UsdByKind(
    decimal Input,
    [property: JsonPropertyName("cache_write_5m")] decimal CacheWrite5m,
    [property: JsonPropertyName("cache_write_1h")] decimal CacheWrite1h,
    decimal CacheRead,
    decimal Output,
    decimal Total);

/// <summary>A <c>model_prices</c> row the job's rows were priced at, and the models priced at it (USD per million tokens).</summary>
public sealed record AppliedPrice(
    Guid Id,
    string ModelPrefix,
    DateTimeOffset EffectiveFrom,
    [property: JsonPropertyName("input_per_mtok")] decimal InputPerMTok,
    [property: JsonPropertyName("cache_write_5m_per_mtok")] decimal CacheWrite5mPerMTok,
    [property: JsonPropertyName("cache_write_1h_per_mtok")] decimal CacheWrite1hPerMTok,
    [property: JsonPropertyName("cache_read_per_mtok")] decimal CacheReadPerMTok,
    [property: JsonPropertyName("output_per_mtok")] decimal OutputPerMTok,
    IReadOnlyList<string> Models);

/// <summary>
/// The answer of <c>GET /api/jobs/{id}/cost</c>. <c>cache_hit_rate</c> is cache-read tokens over all tokens of cached
/// prefixes (read or written); null before any. <c>unpriced_models</c> answered but have no price (their cost is 0).
/// </summary>
public sealed record JobCost(
    Guid JobId,
    long Rows,
    long Requests,
    TokensByKind Tokens,
    UsdByKind CostUsd,
    double? CacheHitRate,
    decimal CacheSavingsUsd,
    decimal BatchSavingsUsd,
    decimal? MaxCostUsd,
    IReadOnlyList<AppliedPrice> Prices,
    IReadOnlyList<string> UnpricedModels);

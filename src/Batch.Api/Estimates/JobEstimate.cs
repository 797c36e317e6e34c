namespace Batch.Api.Estimates;

/// <summary>Output tokens of the whole job: expected (earlier jobs' average, else max_tokens) and at most (max_tokens on every row).</summary>
public sealed record OutputTokensEstimate(long Expected, long Max);

/// <summary>USD: <c>low</c> and <c>high</c> bracket the actual cost, <c>expected</c> is the most likely.</summary>
public sealed record CostRange(decimal Low, decimal Expected, decimal High);

/// <summary>
/// The job by provider batch: the cost at the price rows' batch multiplier (the shared prefix cached for an hour unless the
/// spec says otherwise), the provider's window (its longest time), and the slices the account's limits cut it into.
/// </summary>
public sealed record ProviderBatchEstimate(CostRange? CostUsd, double WindowHours, int Slices);

/// <summary>
/// The answer of <c>POST /api/jobs/estimate</c> (and <c>POST /api/jobs?dry_run=true</c>): what the job would take and cost.
/// Tokens are the whole job's, expected. <c>cost_usd</c> and <c>cost_without_cache_usd</c> are null when the model has no
/// price; <c>binding_limit</c> (<c>rpm</c>, <c>input_tpm</c> or <c>output_tpm</c>) and <c>minutes_at_budget</c> are null when
/// the account's budget for the model has no limit. Both prices and both times: <c>cost_usd</c> and <c>minutes_at_budget</c>
/// by Messages requests, <c>provider_batch</c> by the provider's Message Batches API; <c>delivery</c> is what the spec's
/// <c>delivery</c> and <c>deadline</c> would choose.
/// </summary>
public sealed record JobEstimate(
    long Rows,
    string Model,
    long SharedPrefixTokens,
    long InputTokens,
    long CacheWriteTokens,
    long CacheReadTokens,
    OutputTokensEstimate OutputTokens,
    CostRange? CostUsd,
    decimal? CostWithoutCacheUsd,
    string? BindingLimit,
    double? MinutesAtBudget,
    string TokenCounting,
    IReadOnlyList<string> Notes,
    ProviderBatchEstimate? ProviderBatch = null,
    Uploads.DeliveryChoice? Delivery = null);

namespace Batch.Data.Pricing;

/// <summary>Tokens of one request by the kinds that are priced differently.</summary>
public readonly record struct TokenUsage(long Input, long CacheWrite5m, long CacheWrite1h, long CacheRead, long Output);

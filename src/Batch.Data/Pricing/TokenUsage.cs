namespace Batch.Data.Pricing;

/// <summary>Tokens of one request by the kinds that are priced differently.</summary>
public readonly record struct TokenUsage(long Input, long CacheWrite5m, long CacheWrite1h, long CacheRead, long Output);

/// <summary>USD of each kind of token.</summary>
public readonly record struct CostByKind(decimal Input, decimal CacheWrite5m, decimal CacheWrite1h, decimal CacheRead, decimal Output)
{
    public decimal Total => Input + CacheWrite5m + CacheWrite1h + CacheRead + Output;
}

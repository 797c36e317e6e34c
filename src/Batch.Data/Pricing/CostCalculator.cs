using Batch.Data.Entities;

namespace Batch.Data.Pricing;

/// <summary>Where costs are computed: USD = Σ tokens of each kind × that kind's USD per million tokens / 10⁶.</summary>
public static class CostCalculator
{
    public static decimal Cost(ModelPrice price, TokenUsage usage) =>
        ((usage.Input * price.InputPerMTok)
        + (usage.CacheWrite5m * price.CacheWrite5mPerMTok)
        + (usage.CacheWrite1h * price.CacheWrite1hPerMTok)
        + (usage.CacheRead * price.CacheReadPerMTok)
        + (usage.Output * price.OutputPerMTok)) / 1_000_000m;
}

using Batch.Data.Entities;

namespace Batch.Data.Pricing;

/// <summary>Where costs are computed: USD = Σ tokens of each kind × that kind's USD per million tokens / 10⁶.</summary>
public static class CostCalculator
{
    public static decimal Cost(ModelPrice price, TokenUsage usage) => ByKind(price, usage).Total;

    /// <summary>The share of standard prices a request pays: the price row's batch multiplier in a provider batch, else 1.</summary>
    public static decimal Multiplier(ModelPrice price, Delivery delivery) => delivery == Delivery.ProviderBatch ? price.BatchMultiplier : 1m;

    /// <summary>The cost of each kind of token on its own, in USD (at the batch multiplier for a provider batch's tokens).</summary>
    public static CostByKind ByKind(ModelPrice price, TokenUsage usage, Delivery delivery = Delivery.Messages)
    {
        var multiplier = Multiplier(price, delivery);
        return new(
            usage.Input * price.InputPerMTok / 1_000_000m * multiplier,
            usage.CacheWrite5m * price.CacheWrite5mPerMTok / 1_000_000m * multiplier,
            usage.CacheWrite1h * price.CacheWrite1hPerMTok / 1_000_000m * multiplier,
            usage.CacheRead * price.CacheReadPerMTok / 1_000_000m * multiplier,
            usage.Output * price.OutputPerMTok / 1_000_000m * multiplier);
    }

    /// <summary>
    /// What the cache saved: the reads at the uncached input price minus what they cost, minus what the writes cost
    /// above the uncached input price. Negative when a prefix was written more often than it was read back.
    /// </summary>
    public static decimal CacheSavings(ModelPrice price, TokenUsage usage) =>
        ((usage.CacheRead * (price.InputPerMTok - price.CacheReadPerMTok))
        - (usage.CacheWrite5m * (price.CacheWrite5mPerMTok - price.InputPerMTok))
        - (usage.CacheWrite1h * (price.CacheWrite1hPerMTok - price.InputPerMTok))) / 1_000_000m;

    /// <summary>
    /// The most a request can cost: every input token at the dearest input kind (a cache write may happen on any
    /// request) and <paramref name="maxOutputTokens"/> of output.
    /// </summary>
    public static decimal WorstCase(ModelPrice price, long maxInputTokens, long maxOutputTokens) =>
        ((maxInputTokens * Math.Max(price.InputPerMTok, Math.Max(price.CacheWrite5mPerMTok, price.CacheWrite1hPerMTok)))
        + (maxOutputTokens * price.OutputPerMTok)) / 1_000_000m;
}

namespace Batch.Data.Pricing;

/// <summary>What one recorded request cost, and the <c>model_prices</c> row it was priced at.</summary>
public readonly record struct RowPrice(Guid PriceId, decimal CostUsd, decimal CacheSavingsUsd);

namespace Batch.Data.Pricing;

/// <summary>
/// What one recorded request cost, and the <c>model_prices</c> row it was priced at. <see cref="BatchSavingsUsd"/> is what
/// it would have cost at standard prices minus <see cref="CostUsd"/>: zero for a Messages request.
/// </summary>
public readonly record struct RowPrice(Guid PriceId, decimal CostUsd, decimal CacheSavingsUsd, decimal BatchSavingsUsd = 0);

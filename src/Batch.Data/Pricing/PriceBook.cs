using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Batch.Data.Pricing;

/// <summary>
/// The effective-dated <c>model_prices</c> table in memory. A model's price is the row of the longest
/// prefix of its name that has a price in force, and of that prefix the latest <c>effective_from</c> not after the moment asked about.
/// </summary>
public sealed class PriceBook
{
    private readonly ModelPrice[] _prices;

    public PriceBook(IEnumerable<ModelPrice> prices) =>
        _prices = [.. prices.OrderByDescending(p => p.ModelPrefix.Length).ThenByDescending(p => p.EffectiveFrom)];

    public static async Task<PriceBook> LoadAsync(BatchDbContext db, CancellationToken cancellationToken = default) =>
        new(await db.ModelPrices.AsNoTracking().ToListAsync(cancellationToken));

    /// <summary>Null when no price covers the model at that moment.</summary>
    public ModelPrice? Find(string model, DateTimeOffset at)
    {
        foreach (var price in _prices)
        {
            if (price.EffectiveFrom <= at && model.StartsWith(price.ModelPrefix, StringComparison.Ordinal))
            {
                return price;
            }
        }
        return null;
    }

    /// <summary>
    /// The cost, cache savings and price row of <paramref name="usage"/>, or null when the model has no price. A provider
    /// batch's request costs the price row's <see cref="ModelPrice.BatchMultiplier"/> of every kind, cache writes and reads included.
    /// </summary>
    public RowPrice? Price(string model, DateTimeOffset at, TokenUsage usage, Delivery delivery = Delivery.Messages)
    {
        if (Find(model, at) is not { } price)
        {
            return null;
        }
        var multiplier = CostCalculator.Multiplier(price, delivery);
        var standard = CostCalculator.Cost(price, usage);
        var cost = standard * multiplier;
        return new RowPrice(price.Id, cost, CostCalculator.CacheSavings(price, usage) * multiplier, standard - cost);
    }

    /// <summary>
    /// The most a request sent at <paramref name="at"/> (by <paramref name="delivery"/>) can come to, at the dearest of the price in force and any price
    /// scheduled to take effect later (its answer may be priced after a change); null when the model has no price.
    /// </summary>
    public decimal? WorstCase(string model, DateTimeOffset at, long maxInputTokens, long maxOutputTokens, Delivery delivery = Delivery.Messages)
    {
        decimal? worst = Find(model, at) is { } current ? WorstCase(current, maxInputTokens, maxOutputTokens, delivery) : null;
        foreach (var price in _prices)
        {
            if (price.EffectiveFrom > at && ReferenceEquals(Find(model, price.EffectiveFrom), price))
            {
                worst = Math.Max(worst ?? 0, WorstCase(price, maxInputTokens, maxOutputTokens, delivery));
            }
        }
        return worst;
    }

    private static decimal WorstCase(ModelPrice price, long maxInputTokens, long maxOutputTokens, Delivery delivery) =>
        CostCalculator.WorstCase(price, maxInputTokens, maxOutputTokens) * CostCalculator.Multiplier(price, delivery);
}

namespace Batch.Data.Entities;

/// <summary>USD per million tokens of each kind for models matching <see cref="ModelPrefix"/>, from <see cref="EffectiveFrom"/> on.</summary>
public class ModelPrice
{
    public Guid Id { get; set; }
    public required string ModelPrefix { get; set; }
    public DateTimeOffset EffectiveFrom { get; set; }
    public decimal InputPerMTok { get; set; }
    public decimal CacheWrite5mPerMTok { get; set; }
    public decimal CacheWrite1hPerMTok { get; set; }
    public decimal CacheReadPerMTok { get; set; }
    public decimal OutputPerMTok { get; set; }

    /// <summary>What every kind of token costs in a provider batch, as a share of the prices above (0.5: half).</summary>
    public decimal BatchMultiplier { get; set; } = DefaultBatchMultiplier;

    /// <summary>The Message Batches API's published discount, the seed of <see cref="BatchMultiplier"/>.</summary>
    public const decimal DefaultBatchMultiplier = 0.5m;
}

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
}

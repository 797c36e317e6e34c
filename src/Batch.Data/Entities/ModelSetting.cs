namespace Batch.Data.Entities;

/// <summary>
/// What Batch needs to know about a model that is not its price: which rate-limit class it
/// shares, the shortest prefix it caches, and whether cache reads count toward input TPM.
/// Matched by exact name first, then by the longest <see cref="ModelPrefix"/>.
/// </summary>
public class ModelSetting
{
    public required string ModelPrefix { get; set; }
    public required string ModelClass { get; set; }
    public int MinCacheableTokens { get; set; }
    public bool CacheReadsCountTowardInputTpm { get; set; }
}

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

    /// <summary>The setting of <paramref name="model"/>: its exact name first, then the longest prefix; null when none matches.</summary>
    public static ModelSetting? For(IEnumerable<ModelSetting> settings, string model)
    {
        ModelSetting? best = null;
        foreach (var setting in settings)
        {
            if (setting.ModelPrefix == model)
            {
                return setting;
            }
            if (model.StartsWith(setting.ModelPrefix, StringComparison.Ordinal) && setting.ModelPrefix.Length > (best?.ModelPrefix.Length ?? -1))
            {
                best = setting;
            }
        }
        return best;
    }
}

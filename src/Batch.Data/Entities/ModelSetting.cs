namespace Batch.Data.Entities;

/// <summary>
/// What Batch needs to know about a model that is not its price: which rate-limit class it
/// shares, the shortest prefix it caches, whether cache reads count toward input TPM, and
/// whether it answers with structured outputs.
/// Matched by exact name first, then by the longest <see cref="ModelPrefix"/>.
/// </summary>
public class ModelSetting
{
    public required string ModelPrefix { get; set; }
    public required string ModelClass { get; set; }
    public int MinCacheableTokens { get; set; }
    public bool CacheReadsCountTowardInputTpm { get; set; }

    /// <summary>
    /// Whether the model takes <c>output_config</c> with a <c>json_schema</c> format; jobs in output mode <c>auto</c>
    /// use a forced tool where it does not. Gateways differ, so this is data to edit, not a rule in code.
    /// </summary>
    public bool StructuredOutputs { get; set; }

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

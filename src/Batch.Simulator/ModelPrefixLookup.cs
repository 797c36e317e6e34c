namespace Batch.Simulator;

/// <summary>Resolves per-model settings keyed by model prefix; the longest matching prefix wins.</summary>
internal static class ModelPrefixLookup
{
    public static T Lookup<T>(this Dictionary<string, T> byPrefix, string model, T fallback)
    {
        var bestLength = -1;
        var best = fallback;
        foreach (var (prefix, value) in byPrefix)
        {
            if (prefix.Length > bestLength && model.StartsWith(prefix, StringComparison.Ordinal))
            {
                bestLength = prefix.Length;
                best = value;
            }
        }
        return best;
    }

    public static string ModelClassOf(this SimulatorOptions options, string model) =>
        options.ModelClasses.Lookup(model, model);

    public static int CacheMinimumFor(this SimulatorOptions options, string model) =>
        options.CacheMinimumTokens.Lookup(model, options.DefaultCacheMinimumTokens);

    public static ModelPrice PriceFor(this SimulatorOptions options, string model) =>
        options.Prices.Lookup(model, options.DefaultPrice);

    public static bool CacheReadsCountFor(this SimulatorOptions options, string model)
    {
        foreach (var range in options.CacheReadsCountTowardItpm.AsSpan().Split(','))
        {
            var prefix = options.CacheReadsCountTowardItpm.AsSpan()[range].Trim();
            if (!prefix.IsEmpty && model.AsSpan().StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}

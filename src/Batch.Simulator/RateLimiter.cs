using System.Collections.Concurrent;

namespace Batch.Simulator;

/// <summary>The per-model-class limiters of /v1/messages and, separately, of count_tokens.</summary>
internal sealed class RateLimiter
{
    private readonly ConcurrentDictionary<string, ModelClassLimiter> _messages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ModelClassLimiter> _countTokens = new(StringComparer.Ordinal);

    public ModelClassLimiter ForMessages(string modelClass) => _messages.GetOrAdd(modelClass, static _ => new ModelClassLimiter());

    public ModelClassLimiter ForCountTokens(string modelClass) => _countTokens.GetOrAdd(modelClass, static _ => new ModelClassLimiter());

    public Dictionary<string, ModelClassRateStats> Stats() =>
        _messages.ToDictionary(pair => pair.Key, pair => pair.Value.Stats(), StringComparer.Ordinal);

    public void Clear()
    {
        _messages.Clear();
        _countTokens.Clear();
    }
}

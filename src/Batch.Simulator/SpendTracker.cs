namespace Batch.Simulator;

/// <summary>Running spend in USD and tokens since start or reset, checked against the optional spend cap.</summary>
internal sealed class SpendTracker
{
    private readonly Lock _gate = new();
    private double _usd;
    private long _tokens;

    public double Usd
    {
        get
        {
            lock (_gate)
            {
                return _usd;
            }
        }
    }

    public bool IsExhausted(SimulatorOptions options)
    {
        lock (_gate)
        {
            return (options.SpendCapUsd > 0 && _usd >= options.SpendCapUsd)
                || (options.SpendCapTokens > 0 && _tokens >= options.SpendCapTokens);
        }
    }

    /// <param name="multiplier">The share of the prices paid: 1, or the batch discount for a request answered in a batch.</param>
    public void Add(ModelPrice price, in UsageTokens usage, double multiplier = 1)
    {
        var usd = ((usage.Input * price.Input)
            + (usage.CacheWrite5m * price.CacheWrite5m)
            + (usage.CacheWrite1h * price.CacheWrite1h)
            + (usage.CacheRead * price.CacheRead)
            + (usage.Output * price.Output)) / 1_000_000d * multiplier;
        lock (_gate)
        {
            _usd += usd;
            _tokens += usage.Total;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _usd = 0;
            _tokens = 0;
        }
    }
}

/// <summary>The token usage of one answered request, by kind.</summary>
internal readonly record struct UsageTokens(long Input, long CacheWrite5m, long CacheWrite1h, long CacheRead, long Output)
{
    public long Total => Input + CacheWrite5m + CacheWrite1h + CacheRead + Output;
}

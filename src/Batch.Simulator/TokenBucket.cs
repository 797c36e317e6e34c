namespace Batch.Simulator;

/// <summary>
/// A continuously refilling token bucket. It may go negative: a request larger than the whole bucket
/// is admitted when the bucket is full and leaves a debt that later requests wait out.
/// Not thread-safe; <see cref="ModelClassLimiter"/> guards it.
/// </summary>
internal sealed class TokenBucket
{
    private double _tokens;
    private long _lastTicks;
    private bool _started;

    public double Tokens => _tokens;

    /// <summary>Brings the bucket to <paramref name="nowTicks"/>; a new bucket starts full.</summary>
    public double Refill(in BucketLimit limit, long nowTicks)
    {
        if (!_started)
        {
            _tokens = limit.Capacity;
            _started = true;
        }
        else if (nowTicks > _lastTicks)
        {
            _tokens = Math.Min(limit.Capacity, _tokens + ((nowTicks - _lastTicks) / (double)TimeSpan.TicksPerSecond * limit.PerSecond));
        }
        _tokens = Math.Min(_tokens, limit.Capacity);
        _lastTicks = Math.Max(_lastTicks, nowTicks);
        return _tokens;
    }

    public void Take(double amount) => _tokens -= amount;

    /// <summary>Time until the bucket holds <paramref name="needed"/> tokens (zero if it already does).</summary>
    public TimeSpan TimeUntil(double needed, in BucketLimit limit) =>
        _tokens >= needed ? TimeSpan.Zero : TimeSpan.FromSeconds((needed - _tokens) / limit.PerSecond);
}

/// <summary>One dimension's limit: per minute, and how much the bucket holds (less than a minute's worth under a burst window).</summary>
internal readonly record struct BucketLimit(double PerMinute, double Capacity)
{
    public bool IsLimited => PerMinute > 0;

    public double PerSecond => PerMinute / 60;

    public static BucketLimit Create(double perMinute, int burstWindowMs) => new(
        perMinute,
        burstWindowMs > 0 ? Math.Max(1, perMinute * burstWindowMs / 60_000d) : perMinute);
}

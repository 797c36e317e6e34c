namespace Batch.Simulator;

/// <summary>
/// The RPM, ITPM and OTPM buckets of one model class, plus the peak usage seen in any 60-second window.
/// One short lock per class: admission must check and debit all three buckets atomically.
/// </summary>
internal sealed class ModelClassLimiter
{
    private readonly Lock _gate = new();
    private readonly TokenBucket _requests = new();
    private readonly TokenBucket _input = new();
    private readonly TokenBucket _output = new();
    private readonly SlidingWindowPeak _requestsPeak = new();
    private readonly SlidingWindowPeak _inputPeak = new();
    private readonly SlidingWindowPeak _outputPeak = new();
    private RateLimits _lastLimits;

    /// <summary>
    /// Admits the request if every limited bucket holds what it needs, and debits them.
    /// <paramref name="outputNeeded"/> is max_tokens when reserving, otherwise 1 (the bucket must not be exhausted).
    /// </summary>
    public RateDecision TryAdmit(in RateLimits limits, long inputCost, long outputNeeded, long outputReserve, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        lock (_gate)
        {
            _lastLimits = limits;
            Refill(limits, ticks);
            var wait = TimeSpan.Zero;
            if (limits.Requests.IsLimited)
            {
                wait = Max(wait, _requests.TimeUntil(Math.Min(1, limits.Requests.Capacity), limits.Requests));
            }
            if (limits.Input.IsLimited)
            {
                wait = Max(wait, _input.TimeUntil(Math.Min(inputCost, limits.Input.Capacity), limits.Input));
            }
            if (limits.Output.IsLimited)
            {
                wait = Max(wait, _output.TimeUntil(Math.Min(outputNeeded, limits.Output.Capacity), limits.Output));
            }
            if (wait > TimeSpan.Zero)
            {
                return new RateDecision(false, wait, State(limits, now));
            }

            _requests.Take(1);
            _input.Take(inputCost);
            _output.Take(outputReserve);
            var ms = ticks / TimeSpan.TicksPerMillisecond;
            _requestsPeak.Add(ms, 1);
            _inputPeak.Add(ms, inputCost);
            return new RateDecision(true, TimeSpan.Zero, State(limits, now));
        }
    }

    /// <summary>Charges the actual output, returning whatever part of a reservation went unused.</summary>
    public void Settle(in RateLimits limits, long reserved, long actual, DateTimeOffset now)
    {
        lock (_gate)
        {
            Refill(limits, now.UtcTicks);
            _output.Take(actual - reserved);
            _outputPeak.Add(now.UtcTicks / TimeSpan.TicksPerMillisecond, actual);
        }
    }

    public ModelClassRateStats Stats()
    {
        lock (_gate)
        {
            return new ModelClassRateStats(
                new DimensionStats((long)_lastLimits.Requests.PerMinute, _requestsPeak.Peak),
                new DimensionStats((long)_lastLimits.Input.PerMinute, _inputPeak.Peak),
                new DimensionStats((long)_lastLimits.Output.PerMinute, _outputPeak.Peak));
        }
    }

    private void Refill(in RateLimits limits, long ticks)
    {
        _requests.Refill(limits.Requests, ticks);
        _input.Refill(limits.Input, ticks);
        _output.Refill(limits.Output, ticks);
    }

    private RateLimitState State(in RateLimits limits, DateTimeOffset now) => new(
        DimensionState.Of(_requests, limits.Requests, now),
        DimensionState.Of(_input, limits.Input, now),
        DimensionState.Of(_output, limits.Output, now));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>The limits of the three dimensions, read from the live options on every request.</summary>
internal readonly record struct RateLimits(BucketLimit Requests, BucketLimit Input, BucketLimit Output)
{
    public static RateLimits ForMessages(SimulatorOptions options) => new(
        BucketLimit.Create(options.Rpm, options.BurstWindowMs),
        BucketLimit.Create(options.InputTpm, options.BurstWindowMs),
        BucketLimit.Create(options.OutputTpm, options.BurstWindowMs));

    public static RateLimits ForCountTokens(SimulatorOptions options) => new(
        BucketLimit.Create(options.CountTokensRpm, options.BurstWindowMs), default, default);
}

internal readonly record struct RateDecision(bool Admitted, TimeSpan RetryAfter, RateLimitState State);

/// <summary>What the rate-limit headers report; a null dimension is unlimited and sends no headers.</summary>
internal readonly record struct RateLimitState(DimensionState? Requests, DimensionState? Input, DimensionState? Output);

internal readonly record struct DimensionState(long Limit, long Remaining, DateTimeOffset Reset)
{
    public static DimensionState? Of(TokenBucket bucket, in BucketLimit limit, DateTimeOffset now) => limit.IsLimited
        ? new DimensionState(
            (long)limit.PerMinute,
            (long)Math.Max(0, Math.Floor(bucket.Tokens)),
            now + bucket.TimeUntil(limit.Capacity, limit))
        : null;
}

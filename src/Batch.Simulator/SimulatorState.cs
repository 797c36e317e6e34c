namespace Batch.Simulator;

/// <summary>Everything one simulator instance remembers; instances share nothing, so many can run side by side.</summary>
internal sealed class SimulatorState
{
    public SimulatorState(SimulatorOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        Cache = new(time);
        Faults = new(options);
        Batches = new(this);
    }

    public SimulatorOptions Options { get; }
    public TimeProvider Time { get; }
    public PromptCache Cache { get; }
    public RateLimiter Limiter { get; } = new();
    public SpendTracker Spend { get; } = new();
    public SimulatorStats Stats { get; } = new();
    public FaultInjector Faults { get; }
    public MessageBatchStore Batches { get; }

    public SimulatorStatsSnapshot Snapshot() => Stats.Snapshot(Cache.Count, Limiter.Stats(), Spend.Usd);

    public void Reset()
    {
        Cache.Clear();
        Batches.Clear();
        Limiter.Clear();
        Spend.Clear();
        Stats.Clear();
        Faults.Reset();
    }

    /// <summary>Waits the simulated time, scaled by <see cref="SimulatorOptions.SpeedFactor"/>; no wait at all when it is 0.</summary>
    public Task DelayAsync(double milliseconds, CancellationToken cancellationToken)
    {
        var scaled = milliseconds * Options.SpeedFactor;
        return scaled >= 1 ? Task.Delay(TimeSpan.FromMilliseconds(scaled), Time, cancellationToken) : Task.CompletedTask;
    }
}

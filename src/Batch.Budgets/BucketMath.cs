namespace Batch.Budgets;

/// <summary>Per-minute limits of one budget (account and model class); 0 means unlimited.</summary>
public readonly record struct BudgetLimits(int Rpm, int InputTpm, int OutputTpm);

/// <summary>An amount in each of the three dimensions: bucket levels, a request's cost, or usage.</summary>
public readonly record struct BudgetAmounts(double Requests, double InputTokens, double OutputTokens)
{
    public static BudgetAmounts operator +(BudgetAmounts a, BudgetAmounts b) =>
        new(a.Requests + b.Requests, a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens);

    public static BudgetAmounts operator -(BudgetAmounts a, BudgetAmounts b) =>
        new(a.Requests - b.Requests, a.InputTokens - b.InputTokens, a.OutputTokens - b.OutputTokens);
}

/// <summary>The shared bucket levels as of <paramref name="RefilledAt"/>.</summary>
public readonly record struct BucketState(BudgetAmounts Levels, DateTimeOffset RefilledAt);

/// <summary>Either the request was taken (and <see cref="State"/> is the new bucket), or it must wait <see cref="Wait"/>.</summary>
public readonly record struct TakeDecision(bool Taken, BucketState State, TimeSpan Wait, string BoundBy);

/// <summary>
/// The arithmetic of a shared budget, free of I/O so it can be tested with any clock. Two rules admit a request:
/// <list type="number">
/// <item>Token buckets (one per dimension) of <see cref="BudgetOptions.BurstSeconds"/> capacity (or twice the request, if
/// larger) refilling continuously at limit × (1 − headroom) / 60 per second. They pace requests evenly and keep an
/// idle budget from opening with a full minute's burst.</item>
/// <item>A sliding window: what was admitted in the last 60 seconds (in <see cref="SlotDuration"/> slots, in-flight
/// reservations included) plus this request stays within the limit (less half the headroom), which is what "never
/// over the limit in any minute" means. A token bucket alone could admit its capacity plus a minute's refill in one window.</item>
/// </list>
/// </summary>
public sealed class BucketMath(BudgetOptions options)
{
    /// <summary>Usage is logged in slots of this length; the window check counts every slot that overlaps the last minute.</summary>
    public static readonly TimeSpan SlotDuration = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    public static DateTimeOffset SlotOf(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % SlotDuration.Ticks), TimeSpan.Zero);

    /// <summary>The oldest slot start that can hold usage from the minute before <paramref name="now"/> (exclusive).</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset now) => now - Window - SlotDuration;

    public double Capacity(int perMinute) => Math.Max(1, perMinute * options.BurstSeconds / 60);

    public double RefillPerSecond(int perMinute) => perMinute * (1 - options.Headroom) / 60;

    /// <summary>
    /// What the sliding window may hold: the limit less half the headroom, which covers the moments between a take
    /// here and the server's admission (a request delayed by a busy machine lands in the server's next window).
    /// </summary>
    public double WindowLimit(int perMinute) => perMinute * (1 - (options.Headroom / 2));

    public BucketState Refill(BucketState state, BudgetLimits limits, DateTimeOffset now) => Refill(state, limits, default, now);

    /// <summary>
    /// Refills for the time since the last refill, each bucket up to its capacity for <paramref name="cost"/>: the
    /// burst, or twice the request when that is larger, so a request bigger than the burst can wait for its whole cost
    /// without the refill going to waste while the waiter wakes up. Refunds may leave a level above the capacity;
    /// it is kept, not clamped, since it is budget that was taken and not used.
    /// </summary>
    public BucketState Refill(BucketState state, BudgetLimits limits, BudgetAmounts cost, DateTimeOffset now)
    {
        var seconds = Math.Max(0, (now - state.RefilledAt).TotalSeconds);
        var levels = state.Levels;
        return new BucketState(
            new BudgetAmounts(
                Refill(levels.Requests, limits.Rpm, cost.Requests, seconds),
                Refill(levels.InputTokens, limits.InputTpm, cost.InputTokens, seconds),
                Refill(levels.OutputTokens, limits.OutputTpm, cost.OutputTokens, seconds)),
            now > state.RefilledAt ? now : state.RefilledAt);
    }

    /// <summary>Takes <paramref name="cost"/> if the buckets, the sliding window and any pause allow it; otherwise says how long to wait.</summary>
    public TakeDecision Decide(
        BucketState state, BudgetLimits limits, BudgetAmounts cost, BudgetAmounts usedLastMinute, DateTimeOffset? pausedUntil, DateTimeOffset now)
    {
        if (pausedUntil > now)
        {
            return new TakeDecision(false, state, pausedUntil.Value - now, "paused");
        }
        var refilled = Refill(state, limits, cost, now);
        var levels = refilled.Levels;
        var (wait, boundBy) = Longest(
            (BucketWait(levels.Requests, cost.Requests, limits.Rpm), "rpm"),
            (BucketWait(levels.InputTokens, cost.InputTokens, limits.InputTpm), "itpm"),
            (BucketWait(levels.OutputTokens, cost.OutputTokens, limits.OutputTpm), "otpm"));
        if (wait > TimeSpan.Zero)
        {
            return new TakeDecision(false, refilled, wait, boundBy);
        }
        if (OverWindow(usedLastMinute.Requests, cost.Requests, WindowLimit(limits.Rpm))
            || OverWindow(usedLastMinute.InputTokens, cost.InputTokens, WindowLimit(limits.InputTpm))
            || OverWindow(usedLastMinute.OutputTokens, cost.OutputTokens, WindowLimit(limits.OutputTpm)))
        {
            // Room comes back as old slots leave the window, at the earliest one slot from now.
            return new TakeDecision(false, refilled, SlotDuration, "window");
        }
        return new TakeDecision(true, refilled with { Levels = levels - cost }, TimeSpan.Zero, "");
    }

    private double CapacityFor(int perMinute, double cost) => Math.Max(Capacity(perMinute), 2 * cost);

    private double Refill(double level, int perMinute, double cost, double seconds)
    {
        if (perMinute <= 0)
        {
            return 0;
        }
        var capacity = CapacityFor(perMinute, cost);
        return level >= capacity ? level : Math.Min(capacity, level + (seconds * RefillPerSecond(perMinute)));
    }

    /// <summary>Time until the bucket holds the cost.</summary>
    private TimeSpan BucketWait(double level, double cost, int perMinute) =>
        perMinute <= 0 || level >= cost
            ? TimeSpan.Zero
            // Rounded up to the millisecond, so that after sleeping this long the bucket surely holds enough.
            : TimeSpan.FromMilliseconds(Math.Ceiling((cost - level) / RefillPerSecond(perMinute) * 1000));

    /// <summary>A request larger than a whole minute's limit may still go alone into an empty window.</summary>
    private static bool OverWindow(double used, double cost, double limit) =>
        limit > 0 && used > 0 && used + cost > limit;

    private static (TimeSpan, string) Longest(params ReadOnlySpan<(TimeSpan Wait, string Dimension)> waits)
    {
        var longest = waits[0];
        foreach (var wait in waits[1..])
        {
            if (wait.Wait > longest.Wait)
            {
                longest = wait;
            }
        }
        return longest;
    }
}

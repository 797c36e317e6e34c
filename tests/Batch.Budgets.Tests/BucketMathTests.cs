namespace Batch.Budgets.Tests;

public class BucketMathTests
{
    private static readonly BudgetLimits Limits = new(Rpm: 600, InputTpm: 60_000, OutputTpm: 6_000);
    private static readonly BudgetAmounts Nothing = default;

    private readonly ManualClock _clock = new();
    private readonly BucketMath _math = new(new BudgetOptions { BurstSeconds = 1, Headroom = 0.02 });

    [Fact]
    public void Refills_continuously_at_the_limit_less_headroom_up_to_the_burst_capacity()
    {
        var empty = new BucketState(default, _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromMilliseconds(500));

        var half = _math.Refill(empty, Limits, _clock.GetUtcNow());
        Assert.Equal(600 * 0.98 / 60 / 2, half.Levels.Requests, 9);
        Assert.Equal(60_000 * 0.98 / 60 / 2, half.Levels.InputTokens, 6);

        _clock.Advance(TimeSpan.FromMinutes(10));
        var full = _math.Refill(half, Limits, _clock.GetUtcNow());
        Assert.Equal(10, full.Levels.Requests, 9);
        Assert.Equal(1_000, full.Levels.InputTokens, 6);
        Assert.Equal(100, full.Levels.OutputTokens, 6);
    }

    [Fact]
    public void Waits_exactly_until_enough_has_refilled_for_the_binding_dimension()
    {
        var state = new BucketState(new BudgetAmounts(10, 100, 100), _clock.GetUtcNow());

        var decision = _math.Decide(state, Limits, new BudgetAmounts(1, 500, 50), Nothing, null, _clock.GetUtcNow());

        Assert.False(decision.Taken);
        Assert.Equal("itpm", decision.BoundBy);
        Assert.InRange(decision.Wait.TotalSeconds, 400 / (60_000 * 0.98 / 60), (400 / (60_000 * 0.98 / 60)) + 0.001);

        _clock.Advance(decision.Wait);
        var later = _math.Decide(decision.State, Limits, new BudgetAmounts(1, 500, 50), Nothing, null, _clock.GetUtcNow());
        Assert.True(later.Taken);
        Assert.InRange(later.State.Levels.InputTokens, 0, 1);
    }

    [Fact]
    public void A_request_larger_than_the_burst_waits_for_its_whole_cost_and_refunds_are_not_lost()
    {
        var full = new BucketState(new BudgetAmounts(10, 1_000, 100), _clock.GetUtcNow());
        var large = new BudgetAmounts(1, 5_000, 50);

        var decision = _math.Decide(full, Limits, large, Nothing, null, _clock.GetUtcNow());
        Assert.False(decision.Taken);
        Assert.Equal(4_000 / (60_000 * 0.98 / 60), decision.Wait.TotalSeconds, 2);

        // The waiter wakes late: the bucket holds up to twice the request, so the extra refill is not wasted.
        _clock.Advance(decision.Wait + TimeSpan.FromSeconds(1));
        var taken = _math.Decide(decision.State, Limits, large, Nothing, null, _clock.GetUtcNow());
        Assert.True(taken.Taken);
        Assert.Equal(980, taken.State.Levels.InputTokens, 0);

        // A refund above the capacity stays until it is used.
        var refunded = taken.State with { Levels = taken.State.Levels with { InputTokens = 4_000 } };
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(4_000, _math.Refill(refunded, Limits, _clock.GetUtcNow()).Levels.InputTokens, 6);
    }

    [Fact]
    public void The_sliding_window_refuses_what_would_exceed_the_minute_even_with_a_full_bucket()
    {
        var full = new BucketState(new BudgetAmounts(10, 1_000, 100), _clock.GetUtcNow());

        // The window holds the limit less half the headroom: 59,400 input tokens.
        var refused = _math.Decide(full, Limits, new BudgetAmounts(1, 500, 10), new BudgetAmounts(100, 58_950, 10), null, _clock.GetUtcNow());
        var admitted = _math.Decide(full, Limits, new BudgetAmounts(1, 450, 10), new BudgetAmounts(100, 58_950, 10), null, _clock.GetUtcNow());

        Assert.False(refused.Taken);
        Assert.Equal("window", refused.BoundBy);
        Assert.Equal(BucketMath.SlotDuration, refused.Wait);
        Assert.True(admitted.Taken);
    }

    [Fact]
    public void A_pause_holds_every_request_until_it_ends()
    {
        var full = new BucketState(new BudgetAmounts(10, 1_000, 100), _clock.GetUtcNow());
        var pausedUntil = _clock.GetUtcNow().AddSeconds(7);

        var decision = _math.Decide(full, Limits, new BudgetAmounts(1, 1, 1), Nothing, pausedUntil, _clock.GetUtcNow());

        Assert.False(decision.Taken);
        Assert.Equal("paused", decision.BoundBy);
        Assert.Equal(TimeSpan.FromSeconds(7), decision.Wait);
        _clock.Advance(TimeSpan.FromSeconds(7));
        Assert.True(_math.Decide(full, Limits, new BudgetAmounts(1, 1, 1), Nothing, pausedUntil, _clock.GetUtcNow()).Taken);
    }

    [Fact]
    public void Unlimited_dimensions_never_bind()
    {
        var state = new BucketState(default, _clock.GetUtcNow());
        var decision = _math.Decide(state, new BudgetLimits(0, 0, 0), new BudgetAmounts(1, 1_000_000, 1_000_000), new BudgetAmounts(1e9, 1e9, 1e9), null, _clock.GetUtcNow());
        Assert.True(decision.Taken);
    }

    /// <summary>
    /// Three processes share one bucket state (as they share the row) and take as fast as the math allows, with
    /// random costs, for three simulated minutes from a fresh budget: no 60-second window exceeds any limit, the
    /// opening is a ramp (one burst's worth, not a minute's), and the steady state runs at the limit less headroom.
    /// </summary>
    [Fact]
    public void Processes_taking_as_fast_as_allowed_stay_within_every_sliding_minute_and_ramp_up()
    {
        var random = new Random(7);
        var start = _clock.GetUtcNow();
        var state = new BucketState(default, start - TimeSpan.FromSeconds(1));
        var taken = new List<(DateTimeOffset At, BudgetAmounts Cost)>();
        var nextTry = new DateTimeOffset[3];
        Array.Fill(nextTry, start);
        var end = start + TimeSpan.FromMinutes(3);

        while (true)
        {
            var process = Array.IndexOf(nextTry, nextTry.Min());
            var now = nextTry[process];
            if (now >= end)
            {
                break;
            }
            _clock.Advance(now - _clock.GetUtcNow());
            var cost = new BudgetAmounts(1, random.Next(50, 300), random.Next(5, 40));
            var used = Sum(taken.Where(t => t.At > BucketMath.WindowStart(now)));
            var decision = _math.Decide(state, Limits, cost, used, null, now);
            state = decision.State;
            if (decision.Taken)
            {
                taken.Add((now, cost));
                nextTry[process] = now + TimeSpan.FromMilliseconds(random.Next(0, 3));
            }
            else
            {
                nextTry[process] = now + decision.Wait;
            }
        }

        foreach (var (at, _) in taken)
        {
            var window = Sum(taken.Where(t => t.At > at - TimeSpan.FromSeconds(60) && t.At <= at));
            Assert.True(window.Requests <= Limits.Rpm, $"{window.Requests} requests in the minute to {at:O}");
            Assert.True(window.InputTokens <= Limits.InputTpm, $"{window.InputTokens} input tokens in the minute to {at:O}");
            Assert.True(window.OutputTokens <= Limits.OutputTpm, $"{window.OutputTokens} output tokens in the minute to {at:O}");
        }
        var firstSecond = Sum(taken.Where(t => t.At < start + TimeSpan.FromSeconds(1)));
        Assert.True(firstSecond.Requests <= 2 * 600 / 60.0, $"opened with {firstSecond.Requests} requests in the first second");
        var lastMinute = Sum(taken.Where(t => t.At > end - TimeSpan.FromSeconds(60)));
        var binding = Math.Max(lastMinute.Requests / Limits.Rpm, Math.Max(lastMinute.InputTokens / Limits.InputTpm, lastMinute.OutputTokens / Limits.OutputTpm));
        Assert.InRange(binding, 0.97, 1.0);
    }

    private static BudgetAmounts Sum(IEnumerable<(DateTimeOffset At, BudgetAmounts Cost)> taken) =>
        taken.Aggregate(default(BudgetAmounts), (sum, t) => new BudgetAmounts(
            sum.Requests + t.Cost.Requests, sum.InputTokens + t.Cost.InputTokens, sum.OutputTokens + t.Cost.OutputTokens));
}

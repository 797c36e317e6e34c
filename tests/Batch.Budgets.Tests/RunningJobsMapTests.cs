namespace Batch.Budgets.Tests;

public class RunningJobsMapTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void A_job_idle_for_over_an_hour_is_let_go_when_another_job_comes()
    {
        var map = new RunningJobsMap<object>(_clock);
        var finished = Guid.NewGuid();
        var first = map.GetOrAdd(finished, static _ => new object());

        _clock.Advance(RunningJobsMap<object>.IdleAfter + TimeSpan.FromSeconds(1));
        map.GetOrAdd(Guid.NewGuid(), static _ => new object());

        Assert.Equal(1, map.Count);
        Assert.False(map.TryGetValue(finished, out _));
        // Coming back later, it starts afresh.
        Assert.NotSame(first, map.GetOrAdd(finished, static _ => new object()));
    }

    [Fact]
    public void A_job_in_use_keeps_its_state_for_as_long_as_it_runs()
    {
        var map = new RunningJobsMap<object>(_clock);
        var running = Guid.NewGuid();
        var state = map.GetOrAdd(running, static _ => new object());

        // Five hours of other jobs coming and going, while this one reads its state every half hour.
        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(30));
            Assert.True(map.TryGetValue(running, out var read));
            Assert.Same(state, read);
            map.GetOrAdd(Guid.NewGuid(), static _ => new object());
        }

        Assert.Same(state, map.GetOrAdd(running, static _ => new object()));
        // The running job and the jobs of the last hour (two or three, by when the last sweep ran), not all ten.
        Assert.InRange(map.Count, 3, 4);
    }

    [Fact]
    public void A_job_used_within_the_hour_is_kept()
    {
        var map = new RunningJobsMap<int>(_clock);
        var jobId = Guid.NewGuid();
        map.GetOrAdd(jobId, static _ => 7);

        _clock.Advance(RunningJobsMap<int>.IdleAfter - TimeSpan.FromSeconds(1));
        map.GetOrAdd(Guid.NewGuid(), static _ => 1);

        Assert.True(map.TryGetValue(jobId, out var value));
        Assert.Equal(7, value);
        Assert.Equal(2, map.Count);
    }

    [Fact]
    public void Reading_a_job_that_holds_no_state_does_not_add_it()
    {
        var map = new RunningJobsMap<object>(_clock);

        Assert.False(map.TryGetValue(Guid.NewGuid(), out _));
        Assert.False(map.ContainsKey(Guid.NewGuid()));
        Assert.Equal(0, map.Count);
    }
}

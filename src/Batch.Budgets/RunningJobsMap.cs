using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Batch.Budgets;

/// <summary>
/// State a long-lived process keeps for each job it is running, let go once the job has not used it for
/// <see cref="IdleAfter"/>. A worker runs job after job for months (cron schedules re-run saved jobs), so state kept for
/// the life of the process would grow with every job it ever ran. Every read counts as a use: state a running job touches
/// on each row is never let go under it, and a job that comes back later starts afresh, as after a restart.
/// </summary>
public sealed class RunningJobsMap<TValue>(TimeProvider time)
{
    /// <summary>How long a job's state outlives its last use.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();
    private long _nextSweepTicks;

    /// <summary>How many jobs hold state here now.</summary>
    public int Count => _entries.Count;

    public TValue GetOrAdd(Guid jobId, Func<Guid, TValue> create)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (_entries.TryGetValue(jobId, out var entry))
        {
            entry.Touch(now);
            return entry.Value;
        }
        entry = _entries.GetOrAdd(jobId, static (id, state) => new Entry(state.create(id), state.now), (create, now));
        entry.Touch(now);
        SweepIdle(now);
        return entry.Value;
    }

    public bool TryGetValue(Guid jobId, [MaybeNullWhen(false)] out TValue value)
    {
        if (_entries.TryGetValue(jobId, out var entry))
        {
            entry.Touch(time.GetUtcNow().UtcTicks);
            value = entry.Value;
            return true;
        }
        value = default;
        return false;
    }

    public bool ContainsKey(Guid jobId) => TryGetValue(jobId, out _);

    // Runs when a job first comes (or comes back), at most once per IdleAfter: its cost is a walk over the jobs of the last hours.
    private void SweepIdle(long now)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now < due || Interlocked.CompareExchange(ref _nextSweepTicks, now + IdleAfter.Ticks, due) != due)
        {
            return;
        }
        foreach (var (jobId, entry) in _entries)
        {
            if (now - entry.LastUsedTicks > IdleAfter.Ticks)
            {
                _entries.TryRemove(new KeyValuePair<Guid, Entry>(jobId, entry));
            }
        }
    }

    private sealed class Entry(TValue value, long now)
    {
        private long _lastUsedTicks = now;

        public TValue Value { get; } = value;

        public long LastUsedTicks => Volatile.Read(ref _lastUsedTicks);

        public void Touch(long now)
        {
            // Rows of one job touch it from many threads: write only when the clock has moved, so they share a clean cache line.
            if (Volatile.Read(ref _lastUsedTicks) < now)
            {
                Volatile.Write(ref _lastUsedTicks, now);
            }
        }
    }
}

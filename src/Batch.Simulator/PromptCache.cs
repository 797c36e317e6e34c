using System.Collections.Concurrent;

namespace Batch.Simulator;

/// <summary>
/// The prompt cache: entries keyed by model and prefix hash at each cache breakpoint.
/// An entry is written pending and only becomes readable when the response that wrote it begins,
/// so simultaneous first requests all miss and all pay the write, as with the real API.
/// </summary>
internal sealed class PromptCache(TimeProvider time)
{
    private const int SweepEvery = 4096;
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(2);

    private readonly ConcurrentDictionary<(string Model, UInt128 Hash), CacheEntry> _entries = new();
    private int _writesSinceSweep;

    public int Count => _entries.Count;

    public static TimeSpan Lifetime(CacheTtl ttl) => ttl == CacheTtl.OneHour ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(5);

    /// <summary>Finds the longest readable prefix and what the request would write after it; changes nothing.</summary>
    public CachePlan Plan(MessageRequest request, int minimumTokens)
    {
        var now = time.GetUtcNow().UtcTicks;
        var breakpoints = request.Breakpoints;
        var hit = -1;
        for (var i = breakpoints.Count - 1; i >= 0 && hit < 0; i--)
        {
            if (breakpoints[i].PrefixTokens >= minimumTokens
                && _entries.TryGetValue((request.Model, breakpoints[i].PrefixHash), out var entry)
                && entry.IsReadable(now))
            {
                hit = i;
            }
        }

        var read = hit >= 0 ? breakpoints[hit].PrefixTokens : 0;
        var cached = read;
        int write5m = 0, write1h = 0;
        List<CacheBreakpoint>? writes = null;
        for (var i = hit + 1; i < breakpoints.Count; i++)
        {
            var breakpoint = breakpoints[i];
            if (breakpoint.PrefixTokens < minimumTokens || breakpoint.PrefixTokens <= cached)
            {
                continue;
            }
            // Tokens between the previous cached point and this breakpoint are written with this breakpoint's TTL.
            if (breakpoint.Ttl == CacheTtl.OneHour)
            {
                write1h += breakpoint.PrefixTokens - cached;
            }
            else
            {
                write5m += breakpoint.PrefixTokens - cached;
            }
            cached = breakpoint.PrefixTokens;
            (writes ??= []).Add(breakpoint);
        }

        return new CachePlan(
            request.Model,
            hit >= 0 ? breakpoints[hit] : null,
            writes ?? [],
            read,
            write5m,
            write1h,
            request.InputTokens - cached);
    }

    /// <summary>
    /// Refreshes the hit entry and creates the written entries as pending.
    /// The caller calls <see cref="PendingWrites.MarkReadable"/> when its response begins.
    /// </summary>
    public PendingWrites? Commit(CachePlan plan)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (plan.Hit is { } hit && _entries.TryGetValue((plan.Model, hit.PrefixHash), out var hitEntry))
        {
            hitEntry.ExtendTo(now + Lifetime(hit.Ttl).Ticks);
        }
        if (plan.Writes.Count == 0)
        {
            return null;
        }
        var entries = new (CacheEntry Entry, CacheTtl Ttl)[plan.Writes.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var write = plan.Writes[i];
            entries[i] = (_entries.GetOrAdd((plan.Model, write.PrefixHash), static (_, t) => new CacheEntry(t), now), write.Ttl);
        }
        if (Interlocked.Increment(ref _writesSinceSweep) % SweepEvery == 0)
        {
            Sweep(now);
        }
        return new PendingWrites(entries, time);
    }

    public void Clear() => _entries.Clear();

    private void Sweep(long now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.IsDead(now, AbandonedAfter.Ticks))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Entries written by one request, readable once its response begins.</summary>
    internal sealed class PendingWrites((CacheEntry Entry, CacheTtl Ttl)[] entries, TimeProvider time)
    {
        public void MarkReadable()
        {
            var now = time.GetUtcNow().UtcTicks;
            foreach (var (entry, ttl) in entries)
            {
                entry.ExtendTo(now + Lifetime(ttl).Ticks);
            }
        }
    }

    internal sealed class CacheEntry(long createdTicks)
    {
        // 0 while pending: no response writing this entry has begun yet.
        private long _readableUntil;

        public bool IsReadable(long now) => Volatile.Read(ref _readableUntil) > now;

        public bool IsDead(long now, long abandonedAfter)
        {
            var until = Volatile.Read(ref _readableUntil);
            return until == 0 ? now - createdTicks > abandonedAfter : until <= now;
        }

        public void ExtendTo(long until)
        {
            var current = Volatile.Read(ref _readableUntil);
            while (current < until)
            {
                var seen = Interlocked.CompareExchange(ref _readableUntil, until, current);
                if (seen == current)
                {
                    return;
                }
                current = seen;
            }
        }
    }
}

/// <summary>What a request reads from and writes to the cache, in tokens.</summary>
internal sealed record CachePlan(
    string Model,
    CacheBreakpoint? Hit,
    IReadOnlyList<CacheBreakpoint> Writes,
    int ReadTokens,
    int Write5mTokens,
    int Write1hTokens,
    int UncachedInputTokens)
{
    public int WriteTokens => Write5mTokens + Write1hTokens;
}

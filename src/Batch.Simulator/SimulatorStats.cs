using System.Collections.Concurrent;
using System.Globalization;

namespace Batch.Simulator;

/// <summary>Lock-free counters behind <see cref="SimulatorStatsSnapshot"/>.</summary>
internal sealed class SimulatorStats
{
    private const int StatusSlots = 600;

    private readonly long[] _byStatus = new long[StatusSlots];
    private readonly long[] _tokens = new long[5];
    private readonly long[] _faults = new long[Enum.GetValues<FaultKind>().Length];
    private readonly ConcurrentDictionary<string, PromptCounter> _prompts = new(StringComparer.Ordinal);
    private long _cacheWrites;
    private long _cacheReads;
    private long _concurrent;
    private long _peakConcurrent;
    private long _countTokens;
    private long _streamed;

    // Message Batches API: batches and requests submitted, canceled, deleted, and requests by result.
    private readonly long[] _batches = new long[8];
    private static readonly string[] BatchResults = ["succeeded", "errored", "expired", "canceled"];

    // The batch queue: the most requests ever waiting at once, and creates refused for passing the queue limit.
    private long _peakQueued;
    private long _createsRefused;

    public void RequestStarted()
    {
        var current = Interlocked.Increment(ref _concurrent);
        var peak = Volatile.Read(ref _peakConcurrent);
        while (current > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakConcurrent, current, peak);
            if (seen == peak)
            {
                break;
            }
            peak = seen;
        }
    }

    public void RequestEnded(int status)
    {
        Interlocked.Decrement(ref _concurrent);
        Interlocked.Increment(ref _byStatus[Math.Clamp(status, 0, StatusSlots - 1)]);
    }

    public void PromptSent(string key) => Interlocked.Increment(ref _prompts.GetOrAdd(key, static _ => new PromptCounter()).Sent);

    public void PromptAnswered(string key) => Interlocked.Increment(ref _prompts.GetOrAdd(key, static _ => new PromptCounter()).Answered);

    public void CountTokensServed() => Interlocked.Increment(ref _countTokens);

    public void Fault(FaultKind kind) => Interlocked.Increment(ref _faults[(int)kind]);

    public void BatchSubmitted(int requests)
    {
        Interlocked.Increment(ref _batches[0]);
        Interlocked.Add(ref _batches[1], requests);
    }

    public void BatchCanceled(int requests)
    {
        Interlocked.Increment(ref _batches[2]);
        Interlocked.Add(ref _batches[4 + Array.IndexOf(BatchResults, "canceled")], requests);
    }

    /// <summary>A batch was created with <paramref name="waiting"/> requests waiting across the batches in progress, its own included.</summary>
    /// <remarks>Called under the batch store's lock, so the peak needs no compare-and-swap.</remarks>
    public void BatchQueued(long waiting) => Volatile.Write(ref _peakQueued, Math.Max(Volatile.Read(ref _peakQueued), waiting));

    /// <summary>A create answered 429: its requests would have passed the queue limit.</summary>
    public void BatchCreateRefused() => Interlocked.Increment(ref _createsRefused);

    public void BatchDeleted() => Interlocked.Increment(ref _batches[3]);

    /// <param name="type"><c>succeeded</c>, <c>errored</c>, <c>expired</c> or <c>canceled</c>.</param>
    public void BatchResult(string type) => Interlocked.Increment(ref _batches[4 + Array.IndexOf(BatchResults, type)]);

    /// <summary>A request answered with server-sent events.</summary>
    public void Streamed() => Interlocked.Increment(ref _streamed);

    public void TokensUsed(in UsageTokens usage)
    {
        Interlocked.Add(ref _tokens[0], usage.Input);
        Interlocked.Add(ref _tokens[1], usage.CacheWrite5m);
        Interlocked.Add(ref _tokens[2], usage.CacheWrite1h);
        Interlocked.Add(ref _tokens[3], usage.CacheRead);
        Interlocked.Add(ref _tokens[4], usage.Output);
        if (usage.CacheWrite5m + usage.CacheWrite1h > 0)
        {
            Interlocked.Increment(ref _cacheWrites);
        }
        if (usage.CacheRead > 0)
        {
            Interlocked.Increment(ref _cacheReads);
        }
    }

    public SimulatorStatsSnapshot Snapshot(int cacheEntries, IReadOnlyDictionary<string, ModelClassRateStats> rateLimits, double spendUsd)
    {
        var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        for (var status = 0; status < StatusSlots; status++)
        {
            var count = Volatile.Read(ref _byStatus[status]);
            if (count > 0)
            {
                byStatus[status.ToString(CultureInfo.InvariantCulture)] = count;
                total += count;
            }
        }
        var prompts = _prompts.ToDictionary(
            pair => pair.Key,
            pair => new PromptCounts(Volatile.Read(ref pair.Value.Sent), Volatile.Read(ref pair.Value.Answered)),
            StringComparer.Ordinal);
        return new SimulatorStatsSnapshot(
            total,
            byStatus,
            new TokenCounts(Read(_tokens, 0), Read(_tokens, 1), Read(_tokens, 2), Read(_tokens, 3), Read(_tokens, 4)),
            new CacheCounts(Volatile.Read(ref _cacheWrites), Volatile.Read(ref _cacheReads), cacheEntries),
            new FaultCounts(
                Read(_faults, (int)FaultKind.Overloaded),
                Read(_faults, (int)FaultKind.ServerError),
                Read(_faults, (int)FaultKind.DropConnection),
                Read(_faults, (int)FaultKind.Stall),
                Read(_faults, (int)FaultKind.MalformedJson),
                Read(_faults, (int)FaultKind.CutStream)),
            Volatile.Read(ref _concurrent),
            Volatile.Read(ref _peakConcurrent),
            prompts,
            prompts.Count == 0 ? 0 : prompts.Values.Max(p => p.Sent),
            prompts.Count == 0 ? 0 : prompts.Values.Max(p => p.Answered),
            rateLimits,
            spendUsd,
            Volatile.Read(ref _countTokens),
            new BatchCounts(Read(_batches, 0), Read(_batches, 1), Read(_batches, 2), Read(_batches, 3), Read(_batches, 4), Read(_batches, 5),
                Read(_batches, 6), Read(_batches, 7)),
            Volatile.Read(ref _streamed),
            new BatchQueueCounts(Volatile.Read(ref _peakQueued), Volatile.Read(ref _createsRefused)));
    }

    /// <summary>Clears everything but the in-flight count, which requests still running will decrement.</summary>
    public void Clear()
    {
        Array.Clear(_byStatus);
        Array.Clear(_tokens);
        Array.Clear(_faults);
        _prompts.Clear();
        Interlocked.Exchange(ref _cacheWrites, 0);
        Interlocked.Exchange(ref _cacheReads, 0);
        Interlocked.Exchange(ref _peakConcurrent, Volatile.Read(ref _concurrent));
        Interlocked.Exchange(ref _countTokens, 0);
        Array.Clear(_batches);
        Interlocked.Exchange(ref _peakQueued, 0);
        Interlocked.Exchange(ref _createsRefused, 0);
        Interlocked.Exchange(ref _streamed, 0);
    }

    private static long Read(long[] counters, int index) => Volatile.Read(ref counters[index]);

    private sealed class PromptCounter
    {
        public long Sent;
        public long Answered;
    }
}

namespace Batch.Budgets;

/// <summary>
/// This process's queue for one budget (account and model class). One dispatcher at a time takes from the shared
/// row on behalf of the waiters (many in one transaction, in the order they should be served), by priority, then the job served longest ago (round-robin between jobs), then
/// arrival; so a small job interleaves with a large one instead of queueing behind it. Between attempts it sleeps
/// exactly until the row said enough would have refilled (at most <see cref="BudgetOptions.MaxSleep"/>): no polling.
/// </summary>
internal sealed class BudgetGate(
    RateBudgetStore store,
    TimeProvider time,
    BudgetOptions options,
    Func<TakeRequest, TakeResult, Task> releaseUnclaimed)
{
    private readonly Lock _lock = new();
    private readonly List<Waiter> _waiters = [];
    private readonly Dictionary<Guid, long> _lastServed = [];
    private long _served;
    private long _arrivals;
    private bool _dispatching;

    public async Task<TakeResult> TakeAsync(TakeRequest request, Guid jobId, int priority, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(request, jobId, priority, Interlocked.Increment(ref _arrivals));
        bool start;
        lock (_lock)
        {
            _waiters.Add(waiter);
            start = !_dispatching;
            _dispatching = true;
        }
        if (start)
        {
            _ = Task.Run(DispatchAsync, CancellationToken.None);
        }
        await using var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                _waiters.Remove(waiter);
            }
            waiter.Result.TrySetCanceled(cancellationToken);
        });
        return await waiter.Result.Task;
    }

    private async Task DispatchAsync()
    {
        while (true)
        {
            List<Waiter> batch;
            lock (_lock)
            {
                batch = NextInOrder(options.MaxGrantBatch);
                if (batch.Count == 0)
                {
                    _dispatching = false;
                    _lastServed.Clear();
                    return;
                }
            }

            List<TakeResult> results;
            try
            {
                results = await store.TryTakeManyAsync([.. batch.Select(w => w.Request)], CancellationToken.None);
            }
            catch (Exception e)
            {
                lock (_lock)
                {
                    batch.ForEach(w => _waiters.Remove(w));
                }
                batch.ForEach(w => w.Result.TrySetException(e));
                continue;
            }

            var granted = results.TakeWhile(r => r.Taken).Count();
            lock (_lock)
            {
                foreach (var waiter in batch.Take(granted))
                {
                    _waiters.Remove(waiter);
                    _lastServed[waiter.JobId] = ++_served;
                }
            }
            for (var i = 0; i < granted; i++)
            {
                if (!batch[i].Result.TrySetResult(results[i]))
                {
                    // The caller gave up while its budget was being taken: give it back.
                    await releaseUnclaimed(batch[i].Request, results[i]);
                }
            }
            if (granted < results.Count)
            {
                var wait = results[granted].Wait;
                var sleep = wait < options.MaxSleep ? wait : options.MaxSleep;
                await Task.Delay(sleep > TimeSpan.FromMilliseconds(1) ? sleep : TimeSpan.FromMilliseconds(1), time);
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> waiters in the order they should be served: highest priority, then the job served
    /// longest ago (counting those picked earlier in this batch), then the earliest arrival.
    /// </summary>
    private List<Waiter> NextInOrder(int max)
    {
        var candidates = new List<Waiter>(_waiters);
        var served = new Dictionary<Guid, long>(_lastServed);
        var order = new List<Waiter>(Math.Min(max, candidates.Count));
        var tick = _served;
        while (order.Count < max && candidates.Count > 0)
        {
            var best = 0;
            for (var i = 1; i < candidates.Count; i++)
            {
                if (Before(candidates[i], candidates[best], served))
                {
                    best = i;
                }
            }
            var next = candidates[best];
            candidates.RemoveAt(best);
            served[next.JobId] = ++tick;
            order.Add(next);
        }
        return order;
    }

    private static bool Before(Waiter a, Waiter b, Dictionary<Guid, long> served)
    {
        if (a.Priority != b.Priority)
        {
            return a.Priority > b.Priority;
        }
        var (servedA, servedB) = (served.GetValueOrDefault(a.JobId), served.GetValueOrDefault(b.JobId));
        return servedA != servedB ? servedA < servedB : a.Arrival < b.Arrival;
    }

    private sealed class Waiter(TakeRequest request, Guid jobId, int priority, long arrival)
    {
        public TakeRequest Request { get; } = request;
        public Guid JobId { get; } = jobId;
        public int Priority { get; } = priority;
        public long Arrival { get; } = arrival;
        public TaskCompletionSource<TakeResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

namespace Batch.Budgets;

/// <summary>
/// This process's queue for one budget (account and model class). One dispatcher at a time takes from the shared
/// row on behalf of the best waiter, by priority, then the job served longest ago (round-robin between jobs), then
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
            Waiter? head;
            lock (_lock)
            {
                head = Next();
                if (head is null)
                {
                    _dispatching = false;
                    _lastServed.Clear();
                    return;
                }
            }

            TakeResult result;
            try
            {
                result = await store.TryTakeAsync(head.Request, CancellationToken.None);
            }
            catch (Exception e)
            {
                lock (_lock)
                {
                    _waiters.Remove(head);
                }
                head.Result.TrySetException(e);
                continue;
            }

            if (!result.Taken)
            {
                var sleep = result.Wait < options.MaxSleep ? result.Wait : options.MaxSleep;
                await Task.Delay(sleep > TimeSpan.FromMilliseconds(1) ? sleep : TimeSpan.FromMilliseconds(1), time);
                continue;
            }
            lock (_lock)
            {
                _waiters.Remove(head);
                _lastServed[head.JobId] = ++_served;
            }
            if (!head.Result.TrySetResult(result))
            {
                // The caller gave up while its budget was being taken: give it back.
                await releaseUnclaimed(head.Request, result);
            }
        }
    }

    /// <summary>Highest priority, then the job served longest ago, then the earliest arrival.</summary>
    private Waiter? Next()
    {
        Waiter? best = null;
        var bestServed = 0L;
        foreach (var waiter in _waiters)
        {
            var served = _lastServed.GetValueOrDefault(waiter.JobId);
            if (best is null
                || waiter.Priority > best.Priority
                || (waiter.Priority == best.Priority && (served < bestServed || (served == bestServed && waiter.Arrival < best.Arrival))))
            {
                best = waiter;
                bestServed = served;
            }
        }
        return best;
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

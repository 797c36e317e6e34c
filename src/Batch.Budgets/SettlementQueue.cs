namespace Batch.Budgets;

/// <summary>
/// Group commit for settlements: while one batch is being written, the settlements that arrive wait and go together
/// in the next, so hundreds of requests finishing at once cost a few round trips on the budget row, not one each.
/// Each caller still returns only once its settlement is in the database, so a 429's pause holds before its retry.
/// </summary>
internal sealed class SettlementQueue(RateBudgetStore store)
{
    private readonly Lock _lock = new();
    private List<Pending> _pending = [];
    private bool _flushing;

    public Task SettleAsync(BudgetLease lease, Settlement settlement)
    {
        var pending = new Pending(lease, settlement, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        bool start;
        lock (_lock)
        {
            _pending.Add(pending);
            start = !_flushing;
            _flushing = true;
        }
        if (start)
        {
            _ = Task.Run(FlushAsync, CancellationToken.None);
        }
        return pending.Done.Task;
    }

    private async Task FlushAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }
                batch = _pending;
                _pending = [];
            }
            try
            {
                await store.SettleManyAsync([.. batch.Select(p => (p.Lease, p.Settlement))], CancellationToken.None);
                batch.ForEach(p => p.Done.TrySetResult());
            }
#pragma warning disable CA1031 // The failure belongs to the callers: each of them gets it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private sealed record Pending(BudgetLease Lease, Settlement Settlement, TaskCompletionSource Done);
}

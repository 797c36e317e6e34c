namespace Batch.Simulator;

/// <summary>
/// Tracks the largest amount admitted in any 60-second window, to the millisecond, so a test can prove
/// a client never exceeded a per-minute limit. Not thread-safe; <see cref="ModelClassLimiter"/> guards it.
/// </summary>
internal sealed class SlidingWindowPeak
{
    private const long WindowMs = 60_000;

    // Amounts in the same millisecond share one entry, which bounds the queue at 60,000 entries.
    private readonly Queue<(long Ms, long Amount)> _events = new();
    private (long Ms, long Amount) _latest = (-1, 0);
    private long _sum;

    public long Peak { get; private set; }

    public void Add(long nowMs, long amount)
    {
        if (amount <= 0)
        {
            return;
        }
        if (nowMs != _latest.Ms)
        {
            if (_latest.Ms >= 0)
            {
                _events.Enqueue(_latest);
            }
            _latest = (nowMs, 0);
        }
        _latest.Amount += amount;
        _sum += amount;
        while (_events.TryPeek(out var oldest) && oldest.Ms <= nowMs - WindowMs)
        {
            _sum -= _events.Dequeue().Amount;
        }
        Peak = Math.Max(Peak, _sum);
    }
}

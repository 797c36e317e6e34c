namespace Batch.Data.Entities;

/// <summary>
/// The chain of delayed Hangfire ticks that drives a job's provider batches. Only the tick whose id is
/// <see cref="TickId"/> may schedule the next one, so however many ticks a restart or a wake-up enqueues, one chain
/// goes on; a chain whose tick is long overdue (its worker died) is restarted by any worker's sweeper.
/// </summary>
public class ProviderBatchPoll
{
    public Guid JobId { get; set; }

    /// <summary>The tick that is due next; any other tick of the job stops at once.</summary>
    public Guid TickId { get; set; }

    public DateTimeOffset DueAt { get; set; }

    /// <summary>The wait before the tick after that: doubles while nothing changes, from the initial to the longest poll interval.</summary>
    public TimeSpan Delay { get; set; }
}

namespace Batch.Simulator;

/// <summary>
/// One batch and how far its processing has come. Every request has a due time fixed at creation (the batch's first due
/// time plus one request interval per request before it); the store processes requests lazily, whenever the API is asked,
/// up to the clock: so a batch's progress is a function of time alone, and a test's clock drives it exactly.
/// </summary>
internal sealed class MessageBatch(
    string id, MessageBatchItem[] items, BatchFate[] fates, long createdTicks, long expiresTicks, long firstDueTicks, double requestsPerSecond)
{
    public string Id { get; } = id;
    public MessageBatchItem[] Items { get; } = items;

    /// <summary>Each request's injected fate, drawn at creation.</summary>
    public BatchFate[] Fates { get; } = fates;
    public long CreatedTicks { get; } = createdTicks;
    public long ExpiresTicks { get; } = expiresTicks;

    /// <summary>Each request's result line, once it has one.</summary>
    public byte[]?[] Lines { get; } = new byte[]?[items.Length];

    /// <summary>Requests processed (or canceled, or expired) so far, in order.</summary>
    public int Handled { get; set; }

    public int Succeeded { get; set; }
    public int Errored { get; set; }
    public int Canceled { get; set; }
    public int Expired { get; set; }
    public long? EndedTicks { get; set; }
    public long? CancelInitiatedTicks { get; set; }
    public bool Deleted { get; set; }

    /// <summary>The batch object as of the store's last look; replaced whole, so readers outside the lock see one consistent view.</summary>
    public MessageBatchResponse View { get; set; } = null!;

    /// <summary>When request <paramref name="index"/> is processed: all at once without a rate, else one interval after the one before.</summary>
    public long DueTicks(int index) => requestsPerSecond <= 0
        ? firstDueTicks
        : firstDueTicks + (long)((index + 1) * TimeSpan.TicksPerSecond / requestsPerSecond);

    public bool HasEnded(long now) => EndedTicks is { } ended && ended <= now;

    public MessageBatchResponse Snapshot(long now) => new(
        Id,
        "message_batch",
        HasEnded(now) ? "ended" : CancelInitiatedTicks is null ? "in_progress" : "canceling",
        new MessageBatchRequestCounts(Items.Length - Handled, Succeeded, Errored, Canceled, Expired),
        HasEnded(now) ? Utc(EndedTicks!.Value) : null,
        Utc(CreatedTicks),
        Utc(ExpiresTicks),
        null,
        CancelInitiatedTicks is { } canceled ? Utc(canceled) : null,
        null);

    private static DateTime Utc(long ticks) => new(ticks, DateTimeKind.Utc);
}

/// <summary>What processing does with a request: answer it (or report its validation error), or the fault injected instead.</summary>
internal enum BatchFate
{
    Process,
    Error,
    Expire,
}

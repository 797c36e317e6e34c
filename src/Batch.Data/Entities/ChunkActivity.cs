namespace Batch.Data.Entities;

/// <summary>
/// What one running chunk holds of a job, published by the chunk at every status poll: rows it has claimed but not
/// sent (waiting for budget or a free request slot) and requests it has sent and awaits. A chunk that stops
/// publishing (its process died) is ignored once <see cref="ExpiresAt"/> passes, so the counts never include the dead.
/// </summary>
public class ChunkActivity
{
    public Guid JobId { get; set; }

    /// <summary>The chunk's lease token: one per chunk run.</summary>
    public Guid ChunkId { get; set; }

    public int Claimed { get; set; }
    public int InFlight { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

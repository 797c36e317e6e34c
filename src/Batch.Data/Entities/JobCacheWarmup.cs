namespace Batch.Data.Entities;

/// <summary>
/// Who warms a job's prompt cache, shared by every worker process: one process claims the warm-up, sends one request alone
/// and notes when it was answered; the others wait for that answer, then read the cache. Answers refresh
/// <see cref="AnsweredAt"/>, so a warm-up is due again only after a gap longer than the cache lifetime.
/// </summary>
public class JobCacheWarmup
{
    public Guid JobId { get; set; }

    /// <summary>The model whose cache this is: each model has its own, so a batch of mixed models warms once per model.</summary>
    public string Model { get; set; } = "";

    /// <summary>The claim of the process warming (or that last warmed) the cache.</summary>
    public Guid Warmer { get; set; }

    /// <summary>When the warmer claimed (or last confirmed) its warm-up; a claim not confirmed for a while is free to take.</summary>
    public DateTimeOffset ClaimedAt { get; set; }

    /// <summary>When a request of the job was last answered: the cache was written or read, and so refreshed, then.</summary>
    public DateTimeOffset? AnsweredAt { get; set; }
}

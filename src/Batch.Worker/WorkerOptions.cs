namespace Batch.Worker;

/// <summary>How a worker process runs rows, bound from <c>Batch:Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Batch:Worker";
    public const int DefaultMetricsPort = 9464;

    /// <summary>Port of the listener serving <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>; 0 turns it off.</summary>
    public int MetricsPort { get; set; } = DefaultMetricsPort;

    /// <summary>Requests in flight at once from this process, across all its chunks.</summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Rows claimed per round trip; a chunk holds at most about twice this many rows that are not yet sent.</summary>
    public int ClaimBatchSize { get; set; } = 100;

    /// <summary>How long a claim holds a row; renewed every third of it while the row is in flight, reclaimed by others once expired.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a chunk reads its job's status, so pause and cancel stop new sends within this time.</summary>
    public TimeSpan StatusPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Chunk jobs per live Hangfire server when a job starts.</summary>
    public int ChunksPerServer { get; set; } = 2;

    /// <summary>Results are written together at least this often...</summary>
    public TimeSpan ResultFlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>...or as soon as this many are waiting.</summary>
    public int ResultFlushMaxRows { get; set; } = 500;

    /// <summary>
    /// A job whose first this many recorded rows all failed with the same error that comes from the spec (unknown model, a
    /// refused shared field, no permission) is paused with that error; 0 turns this off.
    /// </summary>
    public int FailFastRows { get; set; } = 10;

    /// <summary>How often a process looks for running jobs whose rows nobody works on (their worker died) and restarts them.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long each Hangfire server waits, once the process is asked to stop, for its jobs to give their rows back; after
    /// it, the server abandons what still runs and logs which of its dispatchers did not stop.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What the host allows beyond <see cref="ShutdownTimeout"/> for the services that stop after the Hangfire servers, the
    /// result writer first: without it a server that takes its full timeout would leave them a token already cancelled.
    /// </summary>
    public static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(15);
}

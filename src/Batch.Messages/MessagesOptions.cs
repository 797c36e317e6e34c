namespace Batch.Messages;

/// <summary>Settings of the Messages client and its retry pipeline, bound from <c>Batch:Messages</c>.</summary>
public sealed class MessagesOptions
{
    public const string SectionName = "Batch:Messages";

    /// <summary>How long one attempt may take, from sending to the last byte of the answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Requests whose max_tokens is above this are sent with <c>stream: true</c> (as are rows whose params ask for it); 0 never.</summary>
    public int StreamAboveMaxTokens { get; set; } = 16_000;

    /// <summary>A stream that sends no event (the server pings while it thinks) for this long is cut, and the attempt retried.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Connections per account endpoint; hundreds of requests are in flight at once.</summary>
    public int MaxConnectionsPerServer { get; set; } = 1024;

    /// <summary>Connections are recycled so DNS changes of the endpoint are picked up.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Attempts per row for transient failures, the first included.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First backoff delay when the server named none; doubles per attempt, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Share of server failures (5xx, broken connections) in the sampling window that opens an account's circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public int CircuitMinimumThroughput { get; set; } = 50;

    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(10);
}

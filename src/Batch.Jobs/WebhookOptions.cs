namespace Batch.Jobs;

/// <summary>Webhook settings, bound from <c>Batch:Webhooks</c> by the API (which checks URLs) and the worker (which delivers).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Batch:Webhooks";

    /// <summary>The HMAC-SHA256 key of <c>Batch-Signature</c>; without it nothing is sent (each attempt fails and is retried).</summary>
    public string? SigningSecret { get; set; }

    /// <summary>Whether URLs may reach private, loopback and link-local addresses (tests, a receiver inside the same network).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>One attempt, connect to last byte of the answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after the first failed attempt; it doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after the transition a webhook is still retried; then it is given up.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromDays(1);
}

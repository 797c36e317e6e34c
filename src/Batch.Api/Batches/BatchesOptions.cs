namespace Batch.Api.Batches;

/// <summary>The Message Batches endpoints' limits and lifetime, from <c>Batch:Batches:*</c> (Anthropic's values by default).</summary>
public sealed class BatchesOptions
{
    public const string Section = "Batch:Batches";

    /// <summary>How long after creation a batch's unsent requests expire.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most requests in one batch.</summary>
    public int MaxRequests { get; set; } = 100_000;

    /// <summary>Largest create body, in bytes.</summary>
    public long MaxBodyBytes { get; set; } = 256L * 1024 * 1024;
}

namespace Batch.Data.Entities;

/// <summary>
/// An endpoint that speaks the Messages API (Anthropic or a gateway) and the rate limits that
/// belong to it. The key itself is never stored: <see cref="ApiKeyReference"/> names where a
/// process finds it (a configuration key), so the database can be read without leaking it.
/// </summary>
public class ProviderAccount
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string BaseUrl { get; set; }

    /// <summary>A configuration key such as <c>Anthropic:ApiKey</c>, resolved by each worker at send time.</summary>
    public required string ApiKeyReference { get; set; }

    public string ApiVersion { get; set; } = "2023-06-01";

    // Limits of a new account unless it says otherwise: sensible for a new real key, far below what the simulator takes.
    public const int NewAccountRpm = 50;
    public const int NewAccountInputTpm = 30_000;
    public const int NewAccountOutputTpm = 8_000;

    /// <summary>Default limits for a model class of this account that has no budget row of its own yet.</summary>
    public int Rpm { get; set; }
    public int InputTpm { get; set; }
    public int OutputTpm { get; set; }

    public OutputBudgetMode OutputBudgetMode { get; set; } = OutputBudgetMode.ReserveMaxTokens;

    /// <summary>How long the provider may take to end a batch (its requests expire then): what <c>auto</c> delivery weighs a deadline against.</summary>
    public TimeSpan BatchWindow { get; set; } = DefaultBatchWindow;

    /// <summary>Most requests in one provider batch (a slice).</summary>
    public int BatchMaxRequests { get; set; } = DefaultBatchMaxRequests;

    /// <summary>Most bytes of one provider batch's create call.</summary>
    public long BatchMaxBytes { get; set; } = DefaultBatchMaxBytes;

    /// <summary>Most requests of this account waiting in the provider's batch queue at once; later slices wait for earlier ones to end.</summary>
    public int BatchQueueLimit { get; set; } = DefaultBatchQueueLimit;

    // The Message Batches API's published limits (its lowest tier's queue).
    public static readonly TimeSpan DefaultBatchWindow = TimeSpan.FromHours(24);
    public const int DefaultBatchMaxRequests = 100_000;
    public const long DefaultBatchMaxBytes = 256L * 1024 * 1024;
    public const int DefaultBatchQueueLimit = 100_000;

    /// <summary>Spend cap per calendar month (UTC) over every job on the account; null for none.</summary>
    public decimal? MonthlyCostLimitUsd { get; set; }
    public bool IsDefault { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum OutputBudgetMode : short
{
    /// <summary>Reserve max_tokens when a request starts and settle to the actual output at the end.</summary>
    ReserveMaxTokens = 0,

    /// <summary>Count only tokens actually generated.</summary>
    ActualOutput = 1,
}

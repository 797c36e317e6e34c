using System.Text.Json;

namespace Batch.Messages;

/// <summary>What one Messages request attempt came to, with everything worth recording.</summary>
public sealed record MessagesAttempt
{
    public required AttemptOutcome Outcome { get; init; }

    /// <summary>Null when no response arrived (connection failure, timeout).</summary>
    public int? HttpStatus { get; init; }
    public string? RequestId { get; init; }
    public TimeSpan Latency { get; init; }

    public MessageResponse? Message { get; init; }

    /// <summary>
    /// A stream cut midway: the usage its events showed before the cut (the server counted those tokens), for the budget's
    /// settlement. Null for every other attempt.
    /// </summary>
    public MessageUsage? PartialUsage { get; init; }

    /// <summary>The input tokens a successful <c>count_tokens</c> attempt counted.</summary>
    public int? CountedInputTokens { get; init; }
    public ApiError? Error { get; init; }

    /// <summary>The rate-limit headers of this response, 429s included, for the budget layer.</summary>
    public RateLimitSnapshot? RateLimits { get; init; }

    /// <summary>From <c>retry-after-ms</c> or <c>retry-after</c>.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>From <c>x-should-retry</c>, when the server said.</summary>
    public bool? ShouldRetry { get; init; }
}

public enum AttemptOutcome
{
    Succeeded,

    /// <summary>The request itself is wrong (400, 404, 413...): record the row as failed, do not retry.</summary>
    RowFailed,

    /// <summary>429, 500, 504, 529, connection failures, timeouts, unreadable bodies: retry with backoff.</summary>
    Transient,

    /// <summary>401/403, billing_error, the spend-cap 429: pause the job rather than burn rows.</summary>
    PauseJob,
}

/// <summary>The parts of a Messages response Batch records. Unknown block types and stop reasons are kept as they came.</summary>
public sealed record MessageResponse(
    string? Id,
    string? Model,
    JsonElement Content,
    string OutputText,
    string? StopReason,
    string? StopSequence,
    MessageUsage Usage);

/// <summary>Token usage; absent fields are zero.</summary>
public sealed record MessageUsage(
    int InputTokens,
    int CacheCreationInputTokens,
    int CacheReadInputTokens,
    int CacheWrite5mTokens,
    int CacheWrite1hTokens,
    int OutputTokens);

/// <summary>An error in Anthropic's shape, read tolerantly: gateways differ.</summary>
public sealed record ApiError(string Type, string Message, string? ErrorCode = null);

namespace Batch.Messages;

/// <summary>The <c>anthropic-ratelimit-*</c> headers of one response; any part may be absent.</summary>
public sealed record RateLimitSnapshot(
    DateTimeOffset ObservedAt,
    RateLimitDimension? Requests,
    RateLimitDimension? InputTokens,
    RateLimitDimension? OutputTokens,
    RateLimitDimension? Tokens);

public sealed record RateLimitDimension(long? Limit, long? Remaining, DateTimeOffset? Reset);

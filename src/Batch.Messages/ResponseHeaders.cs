using System.Globalization;
using System.Net.Http.Headers;

namespace Batch.Messages;

/// <summary>Reads the headers of a Messages response that steer retries and budgets. Absent or unreadable values are null.</summary>
public static class ResponseHeaders
{
    public static string? RequestId(HttpResponseHeaders headers) =>
        First(headers, "request-id") ?? First(headers, "x-request-id");

    /// <summary><c>retry-after-ms</c> when given, else <c>retry-after</c> in seconds or as an HTTP date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (double.TryParse(First(headers, "retry-after-ms"), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }
        if (First(headers, "retry-after") is not { } value)
        {
            return null;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at > now ? at - now : TimeSpan.Zero
            : null;
    }

    public static bool? ShouldRetry(HttpResponseHeaders headers) => First(headers, "x-should-retry")?.Trim().ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => null,
    };

    /// <summary>The <c>anthropic-ratelimit-*</c> headers; null when the response had none.</summary>
    public static RateLimitSnapshot? RateLimits(HttpResponseHeaders headers, DateTimeOffset now)
    {
        var snapshot = new RateLimitSnapshot(
            now,
            Dimension(headers, "requests"),
            Dimension(headers, "input-tokens"),
            Dimension(headers, "output-tokens"),
            Dimension(headers, "tokens"));
        return snapshot is { Requests: null, InputTokens: null, OutputTokens: null, Tokens: null } ? null : snapshot;
    }

    private static RateLimitDimension? Dimension(HttpResponseHeaders headers, string name)
    {
        var limit = Long(First(headers, $"anthropic-ratelimit-{name}-limit"));
        var remaining = Long(First(headers, $"anthropic-ratelimit-{name}-remaining"));
        var reset = DateTimeOffset.TryParse(
            First(headers, $"anthropic-ratelimit-{name}-reset"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : (DateTimeOffset?)null;
        return limit is null && remaining is null && reset is null ? null : new RateLimitDimension(limit, remaining, reset);
    }

    private static long? Long(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? (long)real
        : null;

    private static string? First(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

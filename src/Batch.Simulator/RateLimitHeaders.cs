using System.Globalization;

namespace Batch.Simulator;

/// <summary>Writes the <c>anthropic-ratelimit-*</c> and <c>retry-after</c> headers.</summary>
internal static class RateLimitHeaders
{
    private static readonly HeaderNames Requests = new("requests");
    private static readonly HeaderNames Input = new("input-tokens");
    private static readonly HeaderNames Output = new("output-tokens");
    private static readonly HeaderNames Tokens = new("tokens");

    public static void Write(HttpResponse response, in RateLimitState state)
    {
        var headers = response.Headers;
        Write(headers, Requests, state.Requests);
        Write(headers, Input, state.Input);
        Write(headers, Output, state.Output);
        // "tokens" reports whichever token dimension is closer to its limit.
        var tokens = (state.Input, state.Output) switch
        {
            ({ } input, { } output) => input.Remaining <= output.Remaining ? input : output,
            ({ } input, null) => input,
            (null, var output) => output,
        };
        Write(headers, Tokens, tokens);
    }

    public static void WriteRetryAfter(HttpResponse response, TimeSpan wait)
    {
        response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        response.Headers["retry-after-ms"] = Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
    }

    private static void Write(IHeaderDictionary headers, HeaderNames names, DimensionState? state)
    {
        if (state is not { } value)
        {
            return;
        }
        headers[names.Limit] = value.Limit.ToString(CultureInfo.InvariantCulture);
        headers[names.Remaining] = value.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[names.Reset] = value.Reset.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private sealed class HeaderNames(string dimension)
    {
        public string Limit { get; } = $"anthropic-ratelimit-{dimension}-limit";
        public string Remaining { get; } = $"anthropic-ratelimit-{dimension}-remaining";
        public string Reset { get; } = $"anthropic-ratelimit-{dimension}-reset";
    }
}

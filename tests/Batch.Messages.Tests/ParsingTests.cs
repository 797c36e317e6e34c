using System.Net;
using System.Text;
using System.Text.Json;

namespace Batch.Messages.Tests;

public class ParsingTests
{
    [Fact]
    public void Unknown_blocks_and_stop_reasons_are_kept_and_absent_usage_is_zero()
    {
        var body = """
            {"id":"gw-42","model":"claude-sonnet-4-5","stop_reason":"brand_new_reason","stop_sequence":null,
             "content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Hello, "},
                        {"type":"hologram","payload":{"x":1}},{"type":"text","text":"world"}],
             "usage":{"output_tokens":7},
             "future_field":{"anything":true}}
            """;

        var message = ResponseParser.ParseMessage(Encoding.UTF8.GetBytes(body))!;

        Assert.Equal("gw-42", message.Id);
        Assert.Equal("brand_new_reason", message.StopReason);
        Assert.Null(message.StopSequence);
        Assert.Equal("Hello, world", message.OutputText);
        Assert.Equal(4, message.Content.GetArrayLength());
        Assert.Equal("hologram", message.Content[2].GetProperty("type").GetString());
        Assert.Equal(1, message.Content[2].GetProperty("payload").GetProperty("x").GetInt32());
        Assert.Equal(new MessageUsage(0, 0, 0, 0, 0, 7), message.Usage);
    }

    [Fact]
    public void Usage_with_the_cache_split_is_read_in_full()
    {
        var body = """
            {"content":[],"usage":{"input_tokens":12,"cache_creation_input_tokens":1500,"cache_read_input_tokens":3000,"output_tokens":40,
             "cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":500},"service_tier":"standard"}}
            """;

        var message = ResponseParser.ParseMessage(Encoding.UTF8.GetBytes(body))!;

        Assert.Equal(new MessageUsage(12, 1500, 3000, 1000, 500, 40), message.Usage);
        Assert.Equal("", message.OutputText);
        Assert.Null(message.Id);
    }

    [Fact]
    public void A_missing_content_array_becomes_empty()
    {
        var message = ResponseParser.ParseMessage("""{"type":"message"}"""u8)!;

        Assert.Equal(JsonValueKind.Array, message.Content.ValueKind);
        Assert.Equal(0, message.Content.GetArrayLength());
    }

    [Fact]
    public void Rate_limit_and_retry_headers_are_parsed()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        var headers = response.Headers;
        headers.TryAddWithoutValidation("anthropic-ratelimit-requests-limit", "4000");
        headers.TryAddWithoutValidation("anthropic-ratelimit-requests-remaining", "3999");
        headers.TryAddWithoutValidation("anthropic-ratelimit-requests-reset", "2026-11-23T10:00:01Z");
        headers.TryAddWithoutValidation("anthropic-ratelimit-input-tokens-limit", "2000000");
        headers.TryAddWithoutValidation("anthropic-ratelimit-input-tokens-remaining", "1000");
        headers.TryAddWithoutValidation("anthropic-ratelimit-output-tokens-remaining", "garbage");
        headers.TryAddWithoutValidation("anthropic-ratelimit-tokens-limit", "400000");
        headers.TryAddWithoutValidation("retry-after", "7");
        headers.TryAddWithoutValidation("retry-after-ms", "1234.5");
        headers.TryAddWithoutValidation("x-should-retry", "True");
        headers.TryAddWithoutValidation("request-id", "req_abc");
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

        var limits = ResponseHeaders.RateLimits(headers, now)!;

        Assert.Equal(now, limits.ObservedAt);
        Assert.Equal(new RateLimitDimension(4000, 3999, now.AddSeconds(1)), limits.Requests);
        Assert.Equal(new RateLimitDimension(2_000_000, 1000, null), limits.InputTokens);
        Assert.Null(limits.OutputTokens);
        Assert.Equal(new RateLimitDimension(400_000, null, null), limits.Tokens);
        Assert.Equal(TimeSpan.FromMilliseconds(1234.5), ResponseHeaders.RetryAfter(headers, now));
        Assert.True(ResponseHeaders.ShouldRetry(headers));
        Assert.Equal("req_abc", ResponseHeaders.RequestId(headers));
    }

    [Fact]
    public void Retry_after_in_seconds_or_as_a_date_is_read_without_retry_after_ms()
    {
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        using var seconds = new HttpResponseMessage();
        seconds.Headers.TryAddWithoutValidation("retry-after", "3");
        using var date = new HttpResponseMessage();
        date.Headers.TryAddWithoutValidation("retry-after", "Mon, 23 Nov 2026 10:00:05 GMT");
        using var none = new HttpResponseMessage();

        Assert.Equal(TimeSpan.FromSeconds(3), ResponseHeaders.RetryAfter(seconds.Headers, now));
        Assert.Equal(TimeSpan.FromSeconds(5), ResponseHeaders.RetryAfter(date.Headers, now));
        Assert.Null(ResponseHeaders.RetryAfter(none.Headers, now));
        Assert.Null(ResponseHeaders.RateLimits(none.Headers, now));
    }
}

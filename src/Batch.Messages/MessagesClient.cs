using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Batch.Messages;

/// <summary>
/// The thin Messages client: one attempt per call over the account's named HttpClient, every outcome
/// classified and returned with its headers, nothing thrown for HTTP errors or broken connections.
/// </summary>
internal sealed class MessagesClient(IHttpClientFactory clients, IOptionsMonitor<MessagesOptions> options, TimeProvider time) : IMessagesClient
{
    private const string ModernVersion = "2026-10-21";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public Task<MessagesAttempt> SendAsync(MessagesAccount account, JsonObject body, CancellationToken cancellationToken)
    {
        // Long outputs stream: a plain answer says nothing until its last token, which proxies and idle timeouts cut short.
        var streamAbove = options.CurrentValue.StreamAboveMaxTokens;
        if (body["max_tokens"] is JsonValue maxTokens && maxTokens.TryGetValue<int>(out var tokens) && streamAbove > 0 && tokens > streamAbove)
        {
            body["stream"] = true;
        }
        return PostAsync(account, "v1/messages", body, static (attempt, bytes) => ResponseParser.ParseMessage(bytes) is { } message
            ? attempt with { Outcome = AttemptOutcome.Succeeded, Message = message }
            : null, cancellationToken);
    }

    public Task<MessagesAttempt> CountTokensAsync(MessagesAccount account, JsonObject body, CancellationToken cancellationToken) =>
        PostAsync(account, "v1/messages/count_tokens", body, static (attempt, bytes) => ResponseParser.ParseInputTokens(bytes) is { } tokens
            ? attempt with { Outcome = AttemptOutcome.Succeeded, CountedInputTokens = tokens }
            : null, cancellationToken);

    /// <param name="readSuccess">The attempt completed from a 2xx body; null when the body is not what the endpoint answers.</param>
    private async Task<MessagesAttempt> PostAsync(
        MessagesAccount account, string path, JsonObject body, Func<MessagesAttempt, byte[], MessagesAttempt?> readSuccess, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(MessagesHttpClients.NameOf(account.Id));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(account.BaseUrl, path));
        request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)) { Headers = { ContentType = Json } };
        request.Headers.TryAddWithoutValidation("anthropic-version", account.ApiVersion);
        if (account.ApiVersion == ModernVersion)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.ApiKey);
        }
        else
        {
            request.Headers.TryAddWithoutValidation("x-api-key", account.ApiKey);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                return await StreamedMessages.ReadAsync(Read(response, [], TimeSpan.Zero, static (attempt, _) => attempt), response,
                    options.CurrentValue.StreamIdleTimeout, started, cancellationToken);
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return Read(response, bytes, Stopwatch.GetElapsedTime(started), readSuccess);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed("timeout_error", $"No complete answer within {client.Timeout.TotalSeconds:0.#} s", started);
        }
        catch (HttpRequestException e)
        {
            return Failed("connection_error", e.HttpRequestError == HttpRequestError.Unknown ? e.Message : $"{e.HttpRequestError}: {e.Message}", started);
        }
        catch (IOException e)
        {
            return Failed("connection_error", e.Message, started);
        }
    }

    private MessagesAttempt Read(HttpResponseMessage response, byte[] body, TimeSpan latency, Func<MessagesAttempt, byte[], MessagesAttempt?> readSuccess)
    {
        var now = time.GetUtcNow();
        var status = (int)response.StatusCode;
        var headers = response.Headers;
        var shouldRetry = ResponseHeaders.ShouldRetry(headers);
        var attempt = new MessagesAttempt
        {
            Outcome = AttemptOutcome.Transient,
            HttpStatus = status,
            RequestId = ResponseHeaders.RequestId(headers),
            Latency = latency,
            RateLimits = ResponseHeaders.RateLimits(headers, now),
            RetryAfter = ResponseHeaders.RetryAfter(headers, now),
            ShouldRetry = shouldRetry,
        };
        if (response.IsSuccessStatusCode)
        {
            return readSuccess(attempt, body)
                ?? attempt with { Error = new ApiError("malformed_response", $"HTTP {status} with a body that is not a Messages response") };
        }
        var error = ResponseParser.ParseError(status, body);
        return attempt with { Outcome = AttemptClassifier.Classify(status, error, shouldRetry), Error = error };
    }

    private static MessagesAttempt Failed(string type, string message, long started) => new()
    {
        Outcome = AttemptOutcome.Transient,
        Latency = Stopwatch.GetElapsedTime(started),
        Error = new ApiError(type, message),
    };
}

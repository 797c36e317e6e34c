using System.Diagnostics;
using System.Net.Http.Headers;

namespace Batch.Messages;

/// <summary>
/// What every call to a provider account shares: the version and key headers (the key per request, never a default), and
/// reading an answer into a classified <see cref="MessagesAttempt"/> with the headers that steer retries and budgets.
/// </summary>
internal static class ApiRequests
{
    private const string ModernVersion = "2026-10-21";

    public static HttpRequestMessage Create(HttpMethod method, MessagesAccount account, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(account.BaseUrl, path));
        request.Headers.TryAddWithoutValidation("anthropic-version", account.ApiVersion);
        if (account.ApiVersion == ModernVersion)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.ApiKey);
        }
        else
        {
            request.Headers.TryAddWithoutValidation("x-api-key", account.ApiKey);
        }
        return request;
    }

    /// <param name="readSuccess">The attempt completed from a 2xx body; null when the body is not what the endpoint answers.</param>
    public static MessagesAttempt Read(
        HttpResponseMessage response, byte[] body, TimeSpan latency, DateTimeOffset now, Func<MessagesAttempt, byte[], MessagesAttempt?> readSuccess)
    {
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
                ?? attempt with { Error = new ApiError("malformed_response", $"HTTP {status} with a body that is not what the endpoint answers") };
        }
        var error = ResponseParser.ParseError(status, body);
        return attempt with { Outcome = AttemptClassifier.Classify(status, error, shouldRetry), Error = error };
    }

    /// <summary>Sends and classifies; a broken connection or a timeout is a transient attempt, never an exception.</summary>
    public static Task<MessagesAttempt> SendAsync(
        HttpClient client, HttpRequestMessage request, TimeProvider time, Func<MessagesAttempt, byte[], MessagesAttempt?> readSuccess, CancellationToken cancellationToken) =>
        SendAsync(client, request, time, readSuccess, streamIdleTimeout: null, cancellationToken);

    /// <inheritdoc cref="SendAsync(HttpClient, HttpRequestMessage, TimeProvider, Func{MessagesAttempt, byte[], MessagesAttempt?}, CancellationToken)"/>
    /// <param name="streamIdleTimeout">When given, a 2xx <c>text/event-stream</c> answer is read as a streamed message (<see cref="StreamedMessages"/>).</param>
    public static async Task<MessagesAttempt> SendAsync(
        HttpClient client, HttpRequestMessage request, TimeProvider time, Func<MessagesAttempt, byte[], MessagesAttempt?> readSuccess, TimeSpan? streamIdleTimeout,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (streamIdleTimeout is { } idleTimeout && response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                return await StreamedMessages.ReadAsync(Read(response, [], TimeSpan.Zero, time.GetUtcNow(), static (attempt, _) => attempt), response,
                    idleTimeout, started, cancellationToken);
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return Read(response, bytes, Stopwatch.GetElapsedTime(started), time.GetUtcNow(), readSuccess);
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

    private static MessagesAttempt Failed(string type, string message, long started) => new()
    {
        Outcome = AttemptOutcome.Transient,
        Latency = Stopwatch.GetElapsedTime(started),
        Error = new ApiError(type, message),
    };
}

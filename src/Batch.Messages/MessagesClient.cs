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

    private async Task<MessagesAttempt> PostAsync(
        MessagesAccount account, string path, JsonObject body, Func<MessagesAttempt, byte[], MessagesAttempt?> readSuccess, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(MessagesHttpClients.NameOf(account.Id));
        using var request = ApiRequests.Create(HttpMethod.Post, account, path);
        request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)) { Headers = { ContentType = Json } };
        return await ApiRequests.SendAsync(client, request, time, readSuccess, options.CurrentValue.StreamIdleTimeout, cancellationToken);
    }
}

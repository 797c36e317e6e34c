using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Batch.Messages;

/// <summary>The provider-batches client over the account's named HttpClient (the same connections as its Messages calls).</summary>
internal sealed class ProviderBatchesClient(IHttpClientFactory clients, TimeProvider time) : IProviderBatchesClient
{
    private const string Batches = "v1/messages/batches";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task<ProviderBatchCall> CreateAsync(MessagesAccount account, ProviderBatchBody body, CancellationToken cancellationToken)
    {
        using var request = ApiRequests.Create(HttpMethod.Post, account, Batches);
        body.Headers.ContentType = Json;
        request.Content = body;
        return await BatchCallAsync(account, request, cancellationToken);
    }

    public async Task<ProviderBatchCall> RetrieveAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken)
    {
        using var request = ApiRequests.Create(HttpMethod.Get, account, $"{Batches}/{Uri.EscapeDataString(batchId)}");
        return await BatchCallAsync(account, request, cancellationToken);
    }

    public async Task<ProviderBatchCall> CancelAsync(MessagesAccount account, string batchId, CancellationToken cancellationToken)
    {
        using var request = ApiRequests.Create(HttpMethod.Post, account, $"{Batches}/{Uri.EscapeDataString(batchId)}/cancel");
        return await BatchCallAsync(account, request, cancellationToken);
    }

    public async Task<ProviderBatchListCall> ListAsync(MessagesAccount account, string? afterId, int limit, CancellationToken cancellationToken)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"{Batches}?limit={limit}") + (afterId is null ? "" : $"&after_id={Uri.EscapeDataString(afterId)}");
        using var request = ApiRequests.Create(HttpMethod.Get, account, query);
        (List<ProviderBatchInfo> Batches, bool HasMore, string? LastId)? page = null;
        var attempt = await ApiRequests.SendAsync(Client(account), request, time, (attempt, bytes) =>
            (page = ProviderBatchParser.ParseList(bytes)) is null ? null : attempt with { Outcome = AttemptOutcome.Succeeded }, cancellationToken);
        return page is { } read && attempt.Outcome == AttemptOutcome.Succeeded
            ? new ProviderBatchListCall(attempt, read.Batches, read.HasMore, read.LastId)
            : new ProviderBatchListCall(attempt, [], false, null);
    }

    public async IAsyncEnumerable<ProviderBatchResult> ResultsAsync(
        MessagesAccount account, string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = ApiRequests.Create(HttpMethod.Get, account, $"{Batches}/{Uri.EscapeDataString(batchId)}/results");
        request.Headers.Accept.ParseAdd("application/x-jsonl");
        var started = Stopwatch.GetTimestamp();
        using var response = await Client(account).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            throw new ProviderBatchesException(ApiRequests.Read(response, body, Stopwatch.GetElapsedTime(started), time.GetUtcNow(), static (_, _) => null));
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }
            yield return ProviderBatchParser.ParseResult(Encoding.UTF8.GetBytes(line)) ?? throw new ProviderBatchesException(new MessagesAttempt
            {
                Outcome = AttemptOutcome.Transient,
                HttpStatus = (int)response.StatusCode,
                Error = new ApiError("malformed_response", $"Result line {number} of batch {batchId} is not a result"),
            });
        }
    }

    private async Task<ProviderBatchCall> BatchCallAsync(MessagesAccount account, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ProviderBatchInfo? batch = null;
        var attempt = await ApiRequests.SendAsync(Client(account), request, time, (attempt, bytes) =>
            (batch = ProviderBatchParser.ParseBatch(bytes)) is null ? null : attempt with { Outcome = AttemptOutcome.Succeeded }, cancellationToken);
        return new ProviderBatchCall(attempt, attempt.Outcome == AttemptOutcome.Succeeded ? batch : null);
    }

    private HttpClient Client(MessagesAccount account) => clients.CreateClient(MessagesHttpClients.NameOf(account.Id));
}

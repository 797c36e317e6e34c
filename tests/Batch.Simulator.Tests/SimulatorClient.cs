using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary>Raw HTTP access to a simulator, so tests see exactly what goes over the wire.</summary>
internal sealed class SimulatorClient : IDisposable
{
    public const string DefaultVersion = "2023-06-01";

    private readonly SimulatorServer _server;

    public SimulatorClient(SimulatorServer server, TimeSpan? timeout = null)
    {
        _server = server;
        Http = new HttpClient { BaseAddress = server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public Task<HttpResponseMessage> SendAsync(
        JsonNode body,
        string path = "v1/messages",
        string? version = DefaultVersion,
        string? apiKey = "",
        bool bearer = false,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        CancellationToken cancellationToken = default) =>
        SendRawAsync(body.ToJsonString(), path, version, apiKey, bearer, completion, cancellationToken);

    public Task<HttpResponseMessage> SendRawAsync(
        string json,
        string path = "v1/messages",
        string? version = DefaultVersion,
        string? apiKey = "",
        bool bearer = false,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        var key = apiKey == "" ? _server.ApiKey : apiKey;
        if (key is not null)
        {
            if (bearer)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            else
            {
                request.Headers.Add("x-api-key", key);
            }
        }
        if (version is not null)
        {
            request.Headers.Add("anthropic-version", version);
        }
        return Http.SendAsync(request, completion, cancellationToken);
    }

    /// <summary>Sends and parses the JSON answer, whatever its status.</summary>
    public async Task<Reply> PostAsync(JsonNode body, string path = "v1/messages", string? version = DefaultVersion)
    {
        using var response = await SendAsync(body, path, version);
        return await Reply.ReadAsync(response);
    }

    /// <summary>Any route with the key and version headers; the answer's body parsed as JSON when there is one.</summary>
    public async Task<Reply> CallAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("x-api-key", _server.ApiKey);
        request.Headers.Add("anthropic-version", DefaultVersion);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await Http.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    /// <summary>The body as text, for JSONL answers.</summary>
    public async Task<(int Status, string ContentType, string Text)> GetTextAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", _server.ApiKey);
        request.Headers.Add("anthropic-version", DefaultVersion);
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonElement> StatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "_simulator/stats");
        request.Headers.Add("x-api-key", _server.ApiKey);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>An answer: status, headers and the parsed body.</summary>
internal sealed record Reply(int Status, HttpResponseHeaders Headers, JsonElement Body)
{
    public static async Task<Reply> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return new Reply((int)response.StatusCode, response.Headers, JsonDocument.Parse(text).RootElement.Clone());
    }

    public string Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    public string Text => string.Concat(Body.GetProperty("content").EnumerateArray()
        .Where(b => b.GetProperty("type").GetString() == "text")
        .Select(b => b.GetProperty("text").GetString()));

    public string? StopReason => Body.GetProperty("stop_reason").GetString();

    public int Usage(string field) => Body.GetProperty("usage").GetProperty(field).GetInt32();

    public string ErrorType => Body.GetProperty("error").GetProperty("type").GetString()!;

    public string ErrorMessage => Body.GetProperty("error").GetProperty("message").GetString()!;
}

/// <summary>Request bodies for tests.</summary>
internal static class Requests
{
    public const string Model = "claude-sonnet-4-5";

    public static JsonObject Simple(string text = "Hello", int maxTokens = 1000, string model = Model) => new()
    {
        ["model"] = model,
        ["max_tokens"] = maxTokens,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
    };

    /// <summary>A request whose system prompt (<paramref name="systemTokens"/> tokens) ends with a cache breakpoint.</summary>
    public static JsonObject Cached(int systemTokens, string text = "Hello", string model = Model, string? ttl = null)
    {
        var cacheControl = new JsonObject { ["type"] = "ephemeral" };
        if (ttl is not null)
        {
            cacheControl["ttl"] = ttl;
        }
        var body = Simple(text, model: model);
        body["system"] = new JsonArray(new JsonObject
        {
            ["type"] = "text",
            ["text"] = LongText(systemTokens),
            ["cache_control"] = cacheControl,
        });
        return body;
    }

    /// <summary>Exactly <paramref name="tokens"/> tokens by the simulator's rule (4 characters each).</summary>
    public static string LongText(int tokens) =>
        string.Concat(Enumerable.Repeat("You are a careful assistant. ", (tokens * 4 / 29) + 1))[..(tokens * 4)];
}

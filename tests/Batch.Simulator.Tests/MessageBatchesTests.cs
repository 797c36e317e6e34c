using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary>
/// The Message Batches API as documented: shapes, validation as <c>/v1/messages</c> validates, processing at a rate after a
/// queue delay on the simulator's clock, results as JSONL in any order, cancel, delete, list paging and the queue limit.
/// </summary>
public sealed class MessageBatchesTests : SimulatorTest
{
    private const string Batches = "v1/messages/batches";
    private readonly ManualTimeProvider _time = new();

    protected override TimeProvider Time => _time;

    protected override void Configure(SimulatorOptions options)
    {
        options.SpeedFactor = 0;
        options.BatchQueueDelayMs = 1_000;
        options.BatchRequestsPerSecond = 10;
        options.BatchCancelDelayMs = 100;
    }

    private static JsonObject Create(params JsonObject[] requests) => new() { ["requests"] = new JsonArray(requests) };

    private static JsonObject Request(string customId, JsonObject? body = null) => new()
    {
        ["custom_id"] = customId,
        ["params"] = body ?? Requests.Simple($"question {customId}", maxTokens: 200),
    };

    private static JsonObject[] RequestsOf(int count) => [.. Enumerable.Range(1, count).Select(i => Request($"r-{i}"))];

    private Task<Reply> RetrieveAsync(string id) => Client.CallAsync(HttpMethod.Get, $"{Batches}/{id}");

    private async Task<Dictionary<string, JsonElement>> ResultsAsync(string id)
    {
        var (status, contentType, text) = await Client.GetTextAsync($"{Batches}/{id}/results");
        Assert.Equal(200, status);
        Assert.Equal("application/x-jsonl", contentType);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.DoesNotContain("", lines);
        return lines.Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToDictionary(line => line.GetProperty("custom_id").GetString()!, line => line.GetProperty("result"));
    }

    private static (int Processing, int Succeeded, int Errored, int Canceled, int Expired) Counts(Reply batch)
    {
        var c = batch.Body.GetProperty("request_counts");
        return (c.GetProperty("processing").GetInt32(), c.GetProperty("succeeded").GetInt32(), c.GetProperty("errored").GetInt32(),
            c.GetProperty("canceled").GetInt32(), c.GetProperty("expired").GetInt32());
    }

    private static string Status(Reply batch) => batch.Body.GetProperty("processing_status").GetString()!;

    [Fact]
    public async Task A_batch_is_processed_at_the_rate_after_the_queue_delay_and_its_results_come_as_jsonl()
    {
        var created = await Client.PostAsync(Create(RequestsOf(5)), Batches);

        Assert.Equal(200, created.Status);
        var id = created.Body.GetProperty("id").GetString()!;
        Assert.StartsWith("msgbatch_", id, StringComparison.Ordinal);
        Assert.Equal("message_batch", created.Body.GetProperty("type").GetString());
        Assert.Equal("in_progress", Status(created));
        Assert.Equal((5, 0, 0, 0, 0), Counts(created));
        Assert.Equal(_time.GetUtcNow(), created.Body.GetProperty("created_at").GetDateTimeOffset());
        Assert.Equal(_time.GetUtcNow().AddHours(24), created.Body.GetProperty("expires_at").GetDateTimeOffset());
        Assert.EndsWith("Z", created.Body.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        foreach (var empty in new[] { "ended_at", "archived_at", "cancel_initiated_at", "results_url" })
        {
            Assert.Equal(JsonValueKind.Null, created.Body.GetProperty(empty).ValueKind);
        }
        Assert.Equal(400, (await Client.GetTextAsync($"{Batches}/{id}/results")).Status);

        // The queue delay (1 s), then one request every 100 ms.
        _time.Advance(TimeSpan.FromMilliseconds(1_250));
        Assert.Equal((3, 2, 0, 0, 0), Counts(await RetrieveAsync(id)));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        var ended = await RetrieveAsync(id);

        Assert.Equal("ended", Status(ended));
        Assert.Equal((0, 5, 0, 0, 0), Counts(ended));
        Assert.Equal(_time.GetUtcNow(), ended.Body.GetProperty("ended_at").GetDateTimeOffset());
        Assert.Equal(new Uri(Server.BaseUrl, $"{Batches}/{id}/results"), new Uri(ended.Body.GetProperty("results_url").GetString()!));
        var results = await ResultsAsync(id);
        Assert.Equal(["r-1", "r-2", "r-3", "r-4", "r-5"], results.Keys.Order());
        var message = results["r-3"].GetProperty("message");
        Assert.Equal("succeeded", results["r-3"].GetProperty("type").GetString());
        Assert.Equal("batch", message.GetProperty("usage").GetProperty("service_tier").GetString());
        // The same prompt as /v1/messages answers the same way.
        var direct = await Client.PostAsync(Requests.Simple("question r-3", maxTokens: 200));
        Assert.Equal(direct.Text, message.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(direct.Usage("output_tokens"), message.GetProperty("usage").GetProperty("output_tokens").GetInt32());

        var stats = Server.GetStats().Batches;
        Assert.Equal(new BatchCounts(1, 5, 0, 0, 5, 0, 0, 0), stats);
    }

    [Fact]
    public async Task Results_come_in_an_order_of_the_servers_choosing()
    {
        Server.Options.BatchQueueDelayMs = 0;
        Server.Options.BatchRequestsPerSecond = 0;
        var id = (await Client.PostAsync(Create(RequestsOf(3)), Batches)).Body.GetProperty("id").GetString()!;
        var (_, _, text) = await Client.GetTextAsync($"{Batches}/{id}/results");

        var order = text.TrimEnd('\n').Split('\n').Select(line => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(["r-3", "r-2", "r-1"], order);
    }

    [Fact]
    public async Task The_envelope_and_custom_ids_are_checked_at_once()
    {
        async Task AssertRefused(JsonNode body, int status, string field)
        {
            var reply = await Client.PostAsync(body, Batches);
            Assert.Equal(status, reply.Status);
            if (status == 400)
            {
                Assert.Equal("invalid_request_error", reply.ErrorType);
                Assert.StartsWith(field, reply.ErrorMessage, StringComparison.Ordinal);
            }
        }

        await AssertRefused(new JsonObject(), 400, "requests: Field required");
        await AssertRefused(new JsonObject { ["requests"] = new JsonArray() }, 400, "requests: List should have at least 1 item");
        await AssertRefused(new JsonObject { ["requests"] = new JsonArray(Request("a")), ["extra"] = 1 }, 400, "extra:");
        await AssertRefused(Create(Request("has space")), 400, "requests.0.custom_id");
        await AssertRefused(Create(Request(new string('a', 65))), 400, "requests.0.custom_id");
        await AssertRefused(Create(Request("a"), Request("a")), 400, "requests.1.custom_id: Duplicate");
        await AssertRefused(new JsonObject { ["requests"] = new JsonArray(new JsonObject { ["custom_id"] = "a" }) }, 400, "requests.0.params");
        var withExtra = Request("a");
        withExtra["method"] = "POST";
        await AssertRefused(Create(withExtra), 400, "requests.0.method");
        Server.Options.BatchMaxRequests = 2;
        await AssertRefused(Create(RequestsOf(3)), 413, "");
        Assert.Equal(0, Server.GetStats().Batches.Submitted);
    }

    [Fact]
    public async Task Params_that_messages_would_refuse_come_back_errored_with_the_same_error()
    {
        Server.Options.BatchQueueDelayMs = 0;
        Server.Options.BatchRequestsPerSecond = 0;
        var noMaxTokens = Requests.Simple("x");
        noMaxTokens.Remove("max_tokens");
        var streaming = Requests.Simple("y");
        streaming["stream"] = true;
        var id = (await Client.PostAsync(Create(Request("good"), Request("no-max", noMaxTokens), Request("unknown", Requests.Simple("z", model: "gpt-4")),
            Request("stream", streaming)), Batches)).Body.GetProperty("id").GetString()!;

        Assert.Equal((0, 1, 3, 0, 0), Counts(await RetrieveAsync(id)));
        var results = await ResultsAsync(id);
        var expected = await Client.PostAsync(noMaxTokens);
        var error = results["no-max"].GetProperty("error");
        Assert.Equal("errored", results["no-max"].GetProperty("type").GetString());
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(expected.ErrorMessage, error.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("not_found_error", results["unknown"].GetProperty("error").GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", results["stream"].GetProperty("error").GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Requests_of_a_batch_share_the_prompt_cache_in_order()
    {
        Server.Options.BatchQueueDelayMs = 0;
        Server.Options.BatchRequestsPerSecond = 0;
        var id = (await Client.PostAsync(Create([.. Enumerable.Range(1, 4).Select(i => Request($"c-{i}", Requests.Cached(1_250, $"question {i}", ttl: "1h")))]), Batches))
            .Body.GetProperty("id").GetString()!;
        await RetrieveAsync(id);
        var results = await ResultsAsync(id);

        var writes = results.Values.Count(r => r.GetProperty("message").GetProperty("usage").GetProperty("cache_creation").GetProperty("ephemeral_1h_input_tokens").GetInt32() == 1_250);
        var reads = results.Values.Count(r => r.GetProperty("message").GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt32() == 1_250);
        Assert.Equal((1, 3), (writes, reads));
        // A request through /v1/messages afterwards reads what the batch wrote.
        Assert.Equal(1_250, (await Client.PostAsync(Requests.Cached(1_250, ttl: "1h"))).Usage("cache_read_input_tokens"));
    }

    [Fact]
    public async Task Errored_and_expired_requests_can_be_injected_and_unprocessed_requests_expire_with_the_batch()
    {
        Server.Options.BatchErroredProbability = 1;
        var errored = (await Client.PostAsync(Create(RequestsOf(2)), Batches)).Body.GetProperty("id").GetString()!;
        Server.Options.BatchErroredProbability = 0;
        Server.Options.BatchExpiredProbability = 1;
        var expired = (await Client.PostAsync(Create(RequestsOf(2)), Batches)).Body.GetProperty("id").GetString()!;
        Server.Options.BatchExpiredProbability = 0;
        Server.Options.BatchExpirySeconds = 2;
        var late = (await Client.PostAsync(Create(RequestsOf(30)), Batches)).Body.GetProperty("id").GetString()!;

        _time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal((0, 0, 2, 0, 0), Counts(await RetrieveAsync(errored)));
        Assert.Equal("api_error", (await ResultsAsync(errored))["r-1"].GetProperty("error").GetProperty("error").GetProperty("type").GetString());
        Assert.Equal((0, 0, 0, 0, 2), Counts(await RetrieveAsync(expired)));
        Assert.Equal("expired", (await ResultsAsync(expired))["r-2"].GetProperty("type").GetString());
        // Created after the other four requests, 1 s in queue: 10 a second for the second it has before it expires, less those four.
        var lateBatch = await RetrieveAsync(late);
        Assert.Equal("ended", Status(lateBatch));
        Assert.Equal((0, 6, 0, 0, 24), Counts(lateBatch));
        Assert.Equal(lateBatch.Body.GetProperty("expires_at").GetDateTimeOffset(), lateBatch.Body.GetProperty("ended_at").GetDateTimeOffset());
        Assert.Equal(new BatchCounts(3, 34, 0, 0, 6, 2, 26, 0), Server.GetStats().Batches);
    }

    [Fact]
    public async Task A_create_past_the_queue_limit_is_a_429_until_earlier_batches_end()
    {
        Server.Options.BatchQueueLimit = 5;
        Assert.Equal(200, (await Client.PostAsync(Create(RequestsOf(4)), Batches)).Status);

        var refused = await Client.PostAsync(Create(RequestsOf(2)), Batches);
        Assert.Equal(429, refused.Status);
        Assert.Equal("rate_limit_error", refused.ErrorType);

        _time.Advance(TimeSpan.FromMilliseconds(1_200));
        Assert.Equal(200, (await Client.PostAsync(Create(RequestsOf(3)), Batches)).Status);
        var stats = Server.GetStats();
        Assert.Equal(2, stats.Batches.Submitted);
        // The refusal is counted, and the queue never held more than the limit.
        Assert.Equal(1, stats.BatchQueue!.CreatesRefused);
        Assert.InRange(stats.BatchQueue.PeakWaitingRequests, 4, 5);
    }

    [Fact]
    public async Task Cancel_ends_a_batch_with_its_unprocessed_requests_canceled_and_delete_waits_for_the_end()
    {
        var id = (await Client.PostAsync(Create(RequestsOf(5)), Batches)).Body.GetProperty("id").GetString()!;
        _time.Advance(TimeSpan.FromMilliseconds(1_200));
        Assert.Equal(400, (await Client.CallAsync(HttpMethod.Delete, $"{Batches}/{id}")).Status);

        var canceling = await Client.CallAsync(HttpMethod.Post, $"{Batches}/{id}/cancel");

        Assert.Equal("canceling", Status(canceling));
        Assert.Equal(_time.GetUtcNow(), canceling.Body.GetProperty("cancel_initiated_at").GetDateTimeOffset());
        Assert.Equal((0, 2, 0, 3, 0), Counts(canceling));
        Assert.Equal(400, (await Client.GetTextAsync($"{Batches}/{id}/results")).Status);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("ended", Status(await RetrieveAsync(id)));
        var results = await ResultsAsync(id);
        Assert.Equal(3, results.Values.Count(r => r.GetProperty("type").GetString() == "canceled"));
        Assert.Equal("ended", Status(await Client.CallAsync(HttpMethod.Post, $"{Batches}/{id}/cancel")));

        var deleted = await Client.CallAsync(HttpMethod.Delete, $"{Batches}/{id}");
        Assert.Equal(200, deleted.Status);
        Assert.Equal(id, deleted.Body.GetProperty("id").GetString());
        Assert.Equal("message_batch_deleted", deleted.Body.GetProperty("type").GetString());
        Assert.Equal(404, (await RetrieveAsync(id)).Status);
        Assert.Equal("not_found_error", (await RetrieveAsync(id)).ErrorType);
        Assert.Equal(new BatchCounts(1, 5, 1, 1, 2, 0, 0, 3), Server.GetStats().Batches);
    }

    [Fact]
    public async Task The_list_pages_newest_first_after_and_before_a_cursor()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Client.PostAsync(Create(Request("a")), Batches)).Body.GetProperty("id").GetString()!);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        ids.Reverse();
        static List<string> Ids(Reply page) => [.. page.Body.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!)];

        var first = await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=2");
        Assert.Equal(ids[..2], Ids(first));
        Assert.True(first.Body.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[0], first.Body.GetProperty("first_id").GetString());
        Assert.Equal(ids[1], first.Body.GetProperty("last_id").GetString());
        var next = await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=2&after_id={ids[1]}");
        Assert.Equal(ids[2..4], Ids(next));
        var last = await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=2&after_id={ids[3]}");
        Assert.Equal(ids[4..], Ids(last));
        Assert.False(last.Body.GetProperty("has_more").GetBoolean());
        var back = await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=2&before_id={ids[3]}");
        Assert.Equal(ids[1..3], Ids(back));
        Assert.True(back.Body.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids, Ids(await Client.CallAsync(HttpMethod.Get, Batches)));
        Assert.Equal(400, (await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=0")).Status);
        Assert.Equal(400, (await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=1001")).Status);
        Assert.Equal(ids[1], Ids(await Client.CallAsync(HttpMethod.Get, $"{Batches}?limit=1&after_id={ids[0]}")).Single());
    }

    [Fact]
    public async Task Every_route_needs_the_key_and_version()
    {
        using var noKey = await Client.SendAsync(Create(Request("a")), Batches, apiKey: null);
        Assert.Equal(401, (int)noKey.StatusCode);
        using var noVersion = await Client.SendAsync(Create(Request("a")), Batches, version: null);
        Assert.Equal(400, (int)noVersion.StatusCode);
        using var list = await Client.Http.GetAsync(new Uri(Batches, UriKind.Relative));
        Assert.Equal(401, (int)list.StatusCode);
    }
}

using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary>Prompt caching as documented: prefixes, minimums, visibility once a response begins, TTL.</summary>
public sealed class PromptCacheTests : SimulatorTest
{
    private const int Prefix = 1250;
    private const int Question = ApproximateTokenizer.MessageOverhead + 2; // "Hello"

    private readonly ManualTimeProvider _time = new();

    protected override TimeProvider Time => _time;

    private static void AssertUsage(Reply reply, int input, int write5m, int write1h, int read)
    {
        Assert.Equal(200, reply.Status);
        Assert.Equal(input, reply.Usage("input_tokens"));
        Assert.Equal(write5m + write1h, reply.Usage("cache_creation_input_tokens"));
        Assert.Equal(read, reply.Usage("cache_read_input_tokens"));
        var creation = reply.Body.GetProperty("usage").GetProperty("cache_creation");
        Assert.Equal(write5m, creation.GetProperty("ephemeral_5m_input_tokens").GetInt32());
        Assert.Equal(write1h, creation.GetProperty("ephemeral_1h_input_tokens").GetInt32());
    }

    [Fact]
    public async Task The_first_request_writes_the_prefix_and_the_next_reads_it()
    {
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, Prefix, 0, 0);
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, 0, 0, Prefix);

        var stats = Server.GetStats();
        Assert.Equal(1, stats.Cache.Writes);
        Assert.Equal(1, stats.Cache.Reads);
        Assert.Equal(Prefix, stats.Tokens.CacheWrite5m);
        Assert.Equal(Prefix, stats.Tokens.CacheRead);
    }

    [Fact]
    public async Task A_one_hour_breakpoint_is_reported_as_a_one_hour_write()
    {
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, ttl: "1h")), Question, 0, Prefix, 0);
    }

    [Fact]
    public async Task Only_an_identical_prefix_of_the_same_model_hits()
    {
        await Client.PostAsync(Requests.Cached(Prefix));
        var otherText = Requests.Cached(Prefix);
        otherText["system"]![0]!["text"] = "Changed. " + Requests.LongText(Prefix)[9..];

        AssertUsage(await Client.PostAsync(otherText), Question, Prefix, 0, 0);
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, model: "claude-sonnet-4-6")), Question, Prefix, 0, 0);
        // The question after the breakpoint is not part of the prefix, so it may differ.
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, text: "Another question")), ApproximateTokenizer.MessageOverhead + 4, 0, 0, Prefix);
    }

    [Fact]
    public async Task A_prefix_below_the_model_minimum_is_silently_not_cached()
    {
        // claude-haiku-4-5 needs 4096 tokens.
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, model: "claude-haiku-4-5")), Prefix + Question, 0, 0, 0);
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, model: "claude-haiku-4-5")), Prefix + Question, 0, 0, 0);

        Assert.Equal(0, Server.GetStats().Cache.Entries);
    }

    [Fact]
    public async Task The_minimum_is_configurable_per_model_prefix()
    {
        Server.Options.CacheMinimumTokens["claude-sonnet-4"] = 2000;

        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Prefix + Question, 0, 0, 0);
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix + 1000)), Question, Prefix + 1000, 0, 0);
    }

    [Fact]
    public async Task Input_tokens_count_only_what_follows_the_last_hit_or_write()
    {
        static JsonObject Conversation(string document, string question)
        {
            var body = Requests.Simple();
            body["tools"] = new JsonArray(new JsonObject { ["name"] = "lookup", ["input_schema"] = new JsonObject { ["type"] = "object" } });
            body["system"] = new JsonArray(new JsonObject
            {
                ["type"] = "text",
                ["text"] = Requests.LongText(1100),
                ["cache_control"] = new JsonObject { ["type"] = "ephemeral", ["ttl"] = "1h" },
            });
            body["messages"] = new JsonArray(
                new JsonObject
                {
                    ["role"] = "user",
                    ["content"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "text",
                        ["text"] = document,
                        ["cache_control"] = new JsonObject { ["type"] = "ephemeral" },
                    }),
                },
                new JsonObject { ["role"] = "assistant", ["content"] = "Read it." },
                new JsonObject { ["role"] = "user", ["content"] = question });
            return body;
        }
        // The tool: 8 + ceil(("lookup" + "" + {"type":"object"}) / 4) = 8 + ceil(23 / 4) = 14.
        const int system = 14 + 1100;
        const int document = ApproximateTokenizer.MessageOverhead + 200;
        const int tail = ApproximateTokenizer.MessageOverhead + 2 + ApproximateTokenizer.MessageOverhead + 3; // "Read it." and "Question A"

        AssertUsage(await Client.PostAsync(Conversation(Requests.LongText(200), "Question A")), tail, document, system, 0);
        AssertUsage(await Client.PostAsync(Conversation(Requests.LongText(200), "Question B")), tail, 0, 0, system + document);
        // A different document still hits the system prefix and writes only the document.
        AssertUsage(await Client.PostAsync(Conversation("Other " + Requests.LongText(200)[6..], "Question A")), tail, document, 0, system);
    }

    /// <summary>Sends with the server's latency on, so the request waits on the manual clock until advanced.</summary>
    private void HoldRequests()
    {
        Server.Options.SpeedFactor = 1;
        Server.Options.TimeToFirstTokenMs = 1000;
        Server.Options.MsPerOutputToken = 0;
    }

    [Fact]
    public async Task Simultaneous_first_requests_all_miss_and_all_write()
    {
        HoldRequests();
        var inFlight = Enumerable.Range(0, 5).Select(_ => Client.PostAsync(Requests.Cached(Prefix))).ToList();
        await Wait.UntilAsync(() => _time.PendingTimers == 5, "all five requests are in flight");
        _time.Advance(TimeSpan.FromSeconds(1));

        foreach (var reply in await Task.WhenAll(inFlight))
        {
            AssertUsage(reply, Question, Prefix, 0, 0);
        }
        var after = Client.PostAsync(Requests.Cached(Prefix));
        await Wait.UntilAsync(() => _time.PendingTimers == 1, "the sixth request is in flight");
        _time.Advance(TimeSpan.FromSeconds(1));
        AssertUsage(await after, Question, 0, 0, Prefix);
        Assert.True(Server.GetStats().PeakConcurrentRequests >= 5);
    }

    [Fact]
    public async Task An_entry_becomes_readable_when_the_writing_stream_begins_not_when_it_ends()
    {
        HoldRequests();
        Server.Options.MsPerOutputToken = 10;
        var streaming = Requests.Cached(Prefix);
        streaming["stream"] = true;

        var writer = Client.SendAsync(streaming, completion: HttpCompletionOption.ResponseHeadersRead);
        await Wait.UntilAsync(() => _time.PendingTimers == 1, "the stream waits for its first token");
        Server.Options.SpeedFactor = 0;
        // Not begun yet: this request misses and writes as well.
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, Prefix, 0, 0);

        _time.Advance(TimeSpan.FromSeconds(1));
        using var response = await writer;
        // message_start is out and the rest of the stream still waits on the clock.
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, 0, 0, Prefix);

        _time.Advance(TimeSpan.FromMinutes(1));
        var events = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Five_minute_entries_expire_unless_hit_and_each_hit_refreshes_them()
    {
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, Prefix, 0, 0);
        _time.Advance(TimeSpan.FromMinutes(4));
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, 0, 0, Prefix);
        _time.Advance(TimeSpan.FromMinutes(4));
        // Eight minutes after the write, alive only because the hit refreshed it.
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, 0, 0, Prefix);
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix)), Question, Prefix, 0, 0);
    }

    [Fact]
    public async Task One_hour_entries_live_an_hour()
    {
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, ttl: "1h")), Question, 0, Prefix, 0);
        _time.Advance(TimeSpan.FromMinutes(59));
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, ttl: "1h")), Question, 0, 0, Prefix);
        _time.Advance(TimeSpan.FromMinutes(61));
        AssertUsage(await Client.PostAsync(Requests.Cached(Prefix, ttl: "1h")), Question, 0, Prefix, 0);
    }

    [Fact]
    public async Task Top_level_cache_control_caches_the_whole_prompt()
    {
        var body = Requests.Simple(Requests.LongText(1100));
        body["cache_control"] = new JsonObject { ["type"] = "ephemeral" };
        var total = ApproximateTokenizer.MessageOverhead + 1100;

        AssertUsage(await Client.PostAsync(body), 0, total, 0, 0);
        AssertUsage(await Client.PostAsync(body), 0, 0, 0, total);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary><c>stream: true</c> sends the documented events, in order, carrying the same answer.</summary>
public sealed class StreamingTests : SimulatorTest
{
    private async Task<(Reply Whole, List<(string Event, JsonElement Data)> Events)> BothWaysAsync(JsonObject body)
    {
        var whole = await Client.PostAsync(body.DeepClone());
        body["stream"] = true;
        using var response = await Client.SendAsync(body);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("request-id"));
        return (whole, ServerSentEvents.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Text_streams_in_the_documented_order_with_the_same_text_and_usage()
    {
        var (whole, events) = await BothWaysAsync(Requests.Cached(1250, text: "Stream this"));

        var names = events.Select(e => e.Event).ToList();
        Assert.Equal(["message_start", "content_block_start", "ping"], names.Take(3));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names.TakeLast(3));
        Assert.All(names.Skip(3).SkipLast(3), name => Assert.Equal("content_block_delta", name));
        Assert.True(names.Count > 6);

        var start = events[0].Data.GetProperty("message");
        Assert.Empty(start.GetProperty("content").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, start.GetProperty("stop_reason").ValueKind);
        Assert.Equal(whole.Usage("input_tokens"), start.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        // The non-streaming call wrote the cache, so the stream reads it.
        Assert.Equal(1250, start.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(1, start.GetProperty("usage").GetProperty("output_tokens").GetInt32());

        var blockStart = events[1].Data;
        Assert.Equal(0, blockStart.GetProperty("index").GetInt32());
        Assert.Equal("text", blockStart.GetProperty("content_block").GetProperty("type").GetString());
        var text = string.Concat(events.Where(e => e.Event == "content_block_delta").Select(e =>
        {
            var delta = e.Data.GetProperty("delta");
            Assert.Equal("text_delta", delta.GetProperty("type").GetString());
            return delta.GetProperty("text").GetString();
        }));
        Assert.Equal(whole.Text, text);

        var messageDelta = events[^2].Data;
        Assert.Equal(whole.StopReason, messageDelta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(whole.Usage("output_tokens"), messageDelta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task A_stop_sequence_is_reported_in_message_delta()
    {
        var body = Requests.Simple("Say DONE when done.");
        body["stop_sequences"] = new JsonArray("DONE");

        var (whole, events) = await BothWaysAsync(body);

        var delta = events[^2].Data.GetProperty("delta");
        Assert.Equal("stop_sequence", delta.GetProperty("stop_reason").GetString());
        Assert.Equal("DONE", delta.GetProperty("stop_sequence").GetString());
        Assert.Equal("stop_sequence", whole.StopReason);
    }

    [Fact]
    public async Task Tool_use_streams_as_input_json_deltas()
    {
        var body = Requests.Simple("Look it up");
        body["tools"] = new JsonArray(new JsonObject
        {
            ["name"] = "lookup",
            ["input_schema"] = JsonNode.Parse("""{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":9}},"required":["query","limit"]}"""),
        });
        body["tool_choice"] = new JsonObject { ["type"] = "tool", ["name"] = "lookup" };

        var (whole, events) = await BothWaysAsync(body);

        var blockStart = events.Single(e => e.Event == "content_block_start").Data.GetProperty("content_block");
        Assert.Equal("tool_use", blockStart.GetProperty("type").GetString());
        Assert.Equal("lookup", blockStart.GetProperty("name").GetString());
        Assert.Empty(blockStart.GetProperty("input").EnumerateObject());
        var json = string.Concat(events.Where(e => e.Event == "content_block_delta").Select(e =>
        {
            var delta = e.Data.GetProperty("delta");
            Assert.Equal("input_json_delta", delta.GetProperty("type").GetString());
            return delta.GetProperty("partial_json").GetString();
        }));
        var input = JsonDocument.Parse(json).RootElement;
        var expected = whole.Body.GetProperty("content")[0].GetProperty("input");
        Assert.Equal(expected.GetRawText(), input.GetRawText());
        Assert.InRange(input.GetProperty("limit").GetInt32(), 1, 9);
        Assert.Equal("tool_use", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }
}

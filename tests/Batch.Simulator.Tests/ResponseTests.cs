using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary>Shape and content of answers: determinism, length, max_tokens, stop sequences, tool use.</summary>
public sealed class ResponseTests : SimulatorTest
{
    [Fact]
    public async Task A_message_has_the_documented_shape_and_headers()
    {
        var reply = await Client.PostAsync(Requests.Simple("Hello"));

        Assert.Equal(200, reply.Status);
        Assert.Equal(
            ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"],
            reply.Body.EnumerateObject().Select(p => p.Name));
        Assert.StartsWith("msg_", reply.Body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("message", reply.Body.GetProperty("type").GetString());
        Assert.Equal("assistant", reply.Body.GetProperty("role").GetString());
        Assert.Equal(Requests.Model, reply.Body.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, reply.Body.GetProperty("stop_sequence").ValueKind);
        var usage = reply.Body.GetProperty("usage");
        Assert.Equal(
            ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation", "output_tokens", "service_tier"],
            usage.EnumerateObject().Select(p => p.Name));
        Assert.Equal("standard", usage.GetProperty("service_tier").GetString());
        // "Hello": 4 tokens of message framing + ceil(5 / 4).
        Assert.Equal(ApproximateTokenizer.MessageOverhead + 2, reply.Usage("input_tokens"));
        Assert.Equal(reply.Text.Length, reply.Usage("output_tokens") * 4);
        Assert.StartsWith("req_", reply.Header("request-id"), StringComparison.Ordinal);
        foreach (var dimension in new[] { "requests", "input-tokens", "output-tokens", "tokens" })
        {
            foreach (var part in new[] { "limit", "remaining" })
            {
                Assert.True(long.TryParse(reply.Header($"anthropic-ratelimit-{dimension}-{part}"), out _), $"{dimension}-{part}");
            }
            Assert.True(DateTimeOffset.TryParse(reply.Header($"anthropic-ratelimit-{dimension}-reset"), out _), $"{dimension}-reset");
        }
    }

    [Fact]
    public async Task The_same_prompt_gets_the_same_answer_and_another_prompt_another()
    {
        var first = await Client.PostAsync(Requests.Simple("What is a river?"));
        var second = await Client.PostAsync(Requests.Simple("What is a river?"));
        var other = await Client.PostAsync(Requests.Simple("What is a mountain?"));
        await using var twin = await SimulatorServer.StartAsync(o => o.SpeedFactor = 0);
        using var twinClient = new SimulatorClient(twin);
        var onTwin = await twinClient.PostAsync(Requests.Simple("What is a river?"));

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Text, onTwin.Text);
        Assert.NotEqual(first.Text, other.Text);
        Assert.NotEqual(first.Body.GetProperty("id").GetString(), second.Body.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_seed_changes_the_answer()
    {
        await using var reseeded = await SimulatorServer.StartAsync(o => (o.SpeedFactor, o.Seed) = (0, 42));
        using var reseededClient = new SimulatorClient(reseeded);

        var original = await Client.PostAsync(Requests.Simple("What is a river?"));
        var changed = await reseededClient.PostAsync(Requests.Simple("What is a river?"));

        Assert.NotEqual(original.Text, changed.Text);
    }

    [Fact]
    public async Task Answer_length_follows_the_configured_distribution()
    {
        Server.Options.OutputTokensMin = 42;
        Server.Options.OutputTokensMax = 42;

        var reply = await Client.PostAsync(Requests.Simple("Any length?"));

        Assert.Equal("end_turn", reply.StopReason);
        Assert.Equal(42, reply.Usage("output_tokens"));
        Assert.Equal(42 * 4, reply.Text.Length);
    }

    [Fact]
    public async Task Max_tokens_truncates_the_same_answer()
    {
        var full = await Client.PostAsync(Requests.Simple("Tell me everything", maxTokens: 4000));
        var truncated = await Client.PostAsync(Requests.Simple("Tell me everything", maxTokens: 5));

        Assert.Equal("end_turn", full.StopReason);
        Assert.Equal("max_tokens", truncated.StopReason);
        Assert.Equal(5, truncated.Usage("output_tokens"));
        Assert.Equal(full.Text[..20], truncated.Text);
    }

    [Fact]
    public async Task A_stop_sequence_the_prompt_mentions_stops_the_answer()
    {
        var body = Requests.Simple("Answer, then write END-OF-ANSWER.");
        body["stop_sequences"] = new JsonArray("END-OF-ANSWER", "never-said");

        var reply = await Client.PostAsync(body);

        Assert.Equal("stop_sequence", reply.StopReason);
        Assert.Equal("END-OF-ANSWER", reply.Body.GetProperty("stop_sequence").GetString());
        Assert.DoesNotContain("END-OF-ANSWER", reply.Text, StringComparison.Ordinal);
        // The stop sequence itself was generated, so it counts as output.
        Assert.Equal(ApproximateTokenizer.CountChars(reply.Text.Length + "END-OF-ANSWER".Length), reply.Usage("output_tokens"));
    }

    [Fact]
    public async Task A_stop_sequence_that_never_appears_ends_the_turn_normally()
    {
        var body = Requests.Simple("Answer freely.");
        body["stop_sequences"] = new JsonArray("QQQ-never");

        var reply = await Client.PostAsync(body);

        Assert.Equal("end_turn", reply.StopReason);
        Assert.Equal(JsonValueKind.Null, reply.Body.GetProperty("stop_sequence").ValueKind);
    }

    private static JsonObject WithTools(JsonObject body, JsonObject toolChoice)
    {
        body["tools"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "record_weather",
                ["description"] = "Records a weather report.",
                ["input_schema"] = JsonNode.Parse("""
                    {
                      "type": "object",
                      "properties": {
                        "city": { "type": "string", "minLength": 3, "maxLength": 40 },
                        "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] },
                        "temperature": { "type": "number", "minimum": -50, "maximum": 60 },
                        "humidity": { "type": "integer", "minimum": 0, "maximum": 100 },
                        "raining": { "type": "boolean" },
                        "tags": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 4 },
                        "wind": {
                          "type": "object",
                          "properties": { "speed": { "type": "integer", "minimum": 0 }, "direction": { "enum": ["N", "E", "S", "W"] } },
                          "required": ["speed", "direction"]
                        }
                      },
                      "required": ["city", "unit", "temperature", "humidity", "raining", "tags", "wind"]
                    }
                    """),
            },
            new JsonObject { ["name"] = "other_tool", ["input_schema"] = new JsonObject { ["type"] = "object" } });
        body["tool_choice"] = toolChoice;
        return body;
    }

    [Theory]
    [InlineData("""{"type":"tool","name":"record_weather"}""")]
    [InlineData("""{"type":"any"}""")]
    public async Task A_forced_tool_choice_gives_tool_use_whose_input_fits_the_schema(string toolChoice)
    {
        var reply = await Client.PostAsync(WithTools(Requests.Simple("Weather in Oslo?"), JsonNode.Parse(toolChoice)!.AsObject()));

        Assert.Equal(200, reply.Status);
        Assert.Equal("tool_use", reply.StopReason);
        var block = Assert.Single(reply.Body.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.StartsWith("toolu_", block.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("record_weather", block.GetProperty("name").GetString());
        var input = block.GetProperty("input");
        var city = input.GetProperty("city").GetString()!;
        Assert.InRange(city.Length, 3, 40);
        Assert.Contains(input.GetProperty("unit").GetString(), new[] { "celsius", "fahrenheit" });
        Assert.InRange(input.GetProperty("temperature").GetDouble(), -50, 60);
        Assert.InRange(input.GetProperty("humidity").GetInt32(), 0, 100);
        Assert.Contains(input.GetProperty("raining").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.InRange(input.GetProperty("tags").GetArrayLength(), 1, 4);
        Assert.All(input.GetProperty("tags").EnumerateArray(), tag => Assert.Equal(JsonValueKind.String, tag.ValueKind));
        Assert.True(input.GetProperty("wind").GetProperty("speed").GetInt32() >= 0);
        Assert.Contains(input.GetProperty("wind").GetProperty("direction").GetString(), new[] { "N", "E", "S", "W" });
        Assert.True(reply.Usage("output_tokens") > 0);
    }

    [Fact]
    public async Task Tools_without_a_forced_choice_get_a_text_answer()
    {
        var reply = await Client.PostAsync(WithTools(Requests.Simple("Weather in Oslo?"), new JsonObject { ["type"] = "auto" }));

        Assert.Equal("end_turn", reply.StopReason);
        Assert.NotEmpty(reply.Text);
    }

    [Fact]
    public async Task A_tool_choice_naming_an_unknown_tool_is_rejected()
    {
        var reply = await Client.PostAsync(WithTools(Requests.Simple(), new JsonObject { ["type"] = "tool", ["name"] = "missing" }));

        Assert.Equal(400, reply.Status);
        Assert.StartsWith("tool_choice.name:", reply.ErrorMessage, StringComparison.Ordinal);
    }
}

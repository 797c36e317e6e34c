using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary>Requests the real API rejects are rejected the same way: status, error shape, and a message naming the field.</summary>
public sealed class ValidationTests : SimulatorTest
{
    public static TheoryData<string, string> InvalidBodies() => new()
    {
        { """{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "model: Field required" },
        { """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Field required" },
        { """{"model":"claude-sonnet-4-5","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Input should be greater than or equal to 1" },
        { """{"model":"claude-sonnet-4-5","max_tokens":"ten","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Input should be a valid integer" },
        { """{"model":"claude-sonnet-4-5","max_tokens":1.5,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Input should be a valid integer" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10}""", "messages: Field required" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}""", "messages: List should have at least 1 item" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", "messages.0.role: Unexpected role \"system\"" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"robot","content":"x"}]}""", "messages.1.role: Input should be 'user' or 'assistant'" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"colour":"red"}""", "colour: Extra inputs are not permitted" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"temperature":1.5}""", "temperature: Input should be less than or equal to 1" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"temperature":-0.1}""", "temperature: Input should be greater than or equal to 0" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"system":42}""", "system: Input should be a valid string or list of text blocks" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"system":[{"type":"image","text":"x"}]}""", "system.0.type: Input should be 'text'" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"permanent"}}]}]}""", "messages.0.content.0.cache_control.type: Input should be 'ephemeral'" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"10m"}}]}]}""", "messages.0.content.0.cache_control.ttl: Input should be '5m' or '1h'" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"stop_sequences":["ok",""]}""", "stop_sequences.1:" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"any"}}""", "tool_choice:" },
        { """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t"}]}""", "tools.0.input_schema: Field required" },
        { """[1,2,3]""", "JSON object" },
        { """{"model":""", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_bodies_are_400_invalid_request_error_naming_the_field(string json, string expectedMessage)
    {
        using var response = await Client.SendRawAsync(json);
        var reply = await Reply.ReadAsync(response);

        Assert.Equal(400, reply.Status);
        Assert.Equal("error", reply.Body.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", reply.ErrorType);
        Assert.Contains(expectedMessage, reply.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(reply.Header("request-id"), reply.Body.GetProperty("request_id").GetString());
        Assert.StartsWith("req_", reply.Header("request-id"), StringComparison.Ordinal);
        Assert.Equal(["type", "error", "request_id"], reply.Body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["type", "message"], reply.Body.GetProperty("error").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task More_than_four_cache_breakpoints_are_rejected()
    {
        var blocks = new JsonArray();
        for (var i = 0; i < 5; i++)
        {
            blocks.Add(new JsonObject { ["type"] = "text", ["text"] = $"part {i}", ["cache_control"] = new JsonObject { ["type"] = "ephemeral" } });
        }
        var body = Requests.Simple();
        body["system"] = blocks;

        var reply = await Client.PostAsync(body);

        Assert.Equal(400, reply.Status);
        Assert.Contains("A maximum of 4 blocks with cache_control may be provided", reply.ErrorMessage, StringComparison.Ordinal);
        blocks.RemoveAt(4);
        Assert.Equal(200, (await Client.PostAsync(body)).Status);
    }

    [Fact]
    public async Task System_is_accepted_as_a_string_or_as_text_blocks()
    {
        var asString = Requests.Simple();
        asString["system"] = "Be brief.";
        var asBlocks = Requests.Simple();
        asBlocks["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Be brief." });

        Assert.Equal(200, (await Client.PostAsync(asString)).Status);
        Assert.Equal(200, (await Client.PostAsync(asBlocks)).Status);
    }

    [Theory]
    [InlineData("temperature", 0.5)]
    [InlineData("top_p", 0.9)]
    [InlineData("top_k", 5)]
    public async Task Sampling_parameters_are_accepted_by_2023_06_01_and_rejected_by_2026_10_21(string field, double value)
    {
        var body = Requests.Simple();
        body[field] = value;

        var old = await Client.PostAsync(body, version: "2023-06-01");
        var current = await Client.PostAsync(body, version: "2026-10-21");

        Assert.Equal(200, old.Status);
        Assert.Equal(400, current.Status);
        Assert.Equal("invalid_request_error", current.ErrorType);
        Assert.StartsWith(field + ":", current.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_or_unknown_anthropic_version_is_400()
    {
        var missing = await Client.PostAsync(Requests.Simple(), version: null);
        var unknown = await Client.PostAsync(Requests.Simple(), version: "1999-01-01");

        Assert.Equal(400, missing.Status);
        Assert.Contains("anthropic-version", missing.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(400, unknown.Status);
        Assert.Contains("anthropic-version", unknown.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_model_is_404_not_found_error()
    {
        var reply = await Client.PostAsync(Requests.Simple(model: "gpt-4"));

        Assert.Equal(404, reply.Status);
        Assert.Equal("not_found_error", reply.ErrorType);
        Assert.Contains("gpt-4", reply.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false, "2023-06-01", 401)]
    [InlineData("wrong-key", false, "2023-06-01", 401)]
    [InlineData("", false, "2023-06-01", 200)]
    [InlineData("", true, "2026-10-21", 200)]
    [InlineData("", true, "2023-06-01", 401)]
    [InlineData("wrong-key", true, "2026-10-21", 401)]
    public async Task The_key_is_checked_in_x_api_key_or_as_bearer_for_2026_10_21(string? key, bool bearer, string version, int expected)
    {
        using var response = await Client.SendAsync(Requests.Simple(), version: version, apiKey: key, bearer: bearer);
        var reply = await Reply.ReadAsync(response);

        Assert.Equal(expected, reply.Status);
        Assert.NotEqual("", reply.Header("request-id"));
        if (expected == 401)
        {
            Assert.Equal("authentication_error", reply.ErrorType);
        }
    }

    [Fact]
    public async Task A_body_over_32_MB_is_413_request_too_large()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(Requests.Simple(new string('x', (32 * 1024 * 1024) + 1)).ToJsonString()),
        };
        request.Headers.Add("x-api-key", Server.ApiKey);
        request.Headers.Add("anthropic-version", SimulatorClient.DefaultVersion);
        // Without 100-continue the client would still be uploading when the early answer closes the connection.
        request.Headers.ExpectContinue = true;
        using var response = await Client.Http.SendAsync(request);
        var reply = await Reply.ReadAsync(response);

        Assert.Equal(413, reply.Status);
        Assert.Equal("request_too_large", reply.ErrorType);
    }
}

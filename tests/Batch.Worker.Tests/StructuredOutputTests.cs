using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Data.Entities;
using Batch.Messages;
using Batch.Worker.Requests;

namespace Batch.Worker.Tests;

/// <summary>How a schema goes into a request body and how an answer comes back out of it, without a worker around them.</summary>
public class StructuredOutputTests
{
    private const string Schema = """
        {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "negative"]}, "reason": {"type": "string"}},
         "required": ["sentiment", "reason"], "additionalProperties": false}
        """;

    private static StructuredOutput Output(OutputMode mode) => StructuredOutput.Create(
        new Job
        {
            Project = "p",
            Name = "n",
            Model = "claude-sonnet-4-5",
            OutputSchema = Schema,
            OutputMode = mode,
            SchemaRetries = 1,
        },
        [])!;

    [Theory]
    [InlineData(OutputMode.JsonSchema, "output_config", "format", "schema")]
    [InlineData(OutputMode.Tool, "tools", "0", "input_schema")]
    public void The_schema_is_written_into_the_body_whoever_serializes_it(OutputMode mode, string first, string second, string third)
    {
        var output = Output(mode);
        var body = new JsonObject { ["model"] = "claude-sonnet-4-5" };
        output.Apply(body);

        // The client serializes with the default options, a provider batch writes the node itself, and the spend cap and
        // tests call ToJsonString: each must write the schema, not an empty object.
        var written = new[]
        {
            JsonSerializer.SerializeToUtf8Bytes(body),
            JsonSerializer.SerializeToUtf8Bytes(body, new JsonSerializerOptions { WriteIndented = true }),
            System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()),
        };
        foreach (var bytes in written)
        {
            using var document = JsonDocument.Parse(bytes);
            var container = document.RootElement.GetProperty(first);
            container = container.ValueKind == JsonValueKind.Array ? container[int.Parse(second, System.Globalization.CultureInfo.InvariantCulture)] : container.GetProperty(second);
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(Schema).RootElement, container.GetProperty(third)), System.Text.Encoding.UTF8.GetString(bytes));
        }
        // Each request gets a node of its own: one body's schema cannot be another's.
        var other = new JsonObject { ["model"] = "claude-sonnet-4-5" };
        output.Apply(other);
        Assert.Equal(body.ToJsonString(), other.ToJsonString());
    }

    [Theory]
    [InlineData("""{"sentiment": "positive", "reason": "fast"}""", """{"sentiment": "positive", "reason": "fast"}""")]
    [InlineData("{\n  \"sentiment\": \"positive\",\r\n  \"reason\": \"line\\nbreak\"\n}", """{"sentiment":"positive","reason":"line\nbreak"}""")]
    public void A_matching_answer_is_kept_on_one_line_as_a_results_line_embeds_it(string text, string parsed)
    {
        var check = Output(OutputMode.JsonSchema).Read(Message([new JsonObject { ["type"] = "text", ["text"] = text }], text), AnswerFormat.JsonSchema);

        Assert.Null(check.ErrorType);
        Assert.Equal(text, check.OutputText);
        Assert.Equal(parsed, check.Parsed);
    }

    [Fact]
    public void A_tool_answer_is_its_input_on_one_line()
    {
        var input = JsonNode.Parse("{\n \"reason\": \"ok\",\n \"sentiment\": \"negative\"\n}")!;
        var check = Output(OutputMode.Tool).Read(
            Message([new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_1", ["name"] = "record", ["input"] = input }], ""), AnswerFormat.Tool);

        Assert.Null(check.ErrorType);
        Assert.Equal("""{"reason":"ok","sentiment":"negative"}""", check.Parsed);
        Assert.Equal(check.Parsed, check.OutputText);
    }

    [Fact]
    public void An_answer_that_does_not_match_names_the_place_and_the_rule()
    {
        const string text = """{"sentiment": "sideways", "reason": "?"}""";
        var check = Output(OutputMode.JsonSchema).Read(Message([new JsonObject { ["type"] = "text", ["text"] = text }], text), AnswerFormat.JsonSchema);

        Assert.Equal((AnswerCheck.SchemaMismatch, null, true), (check.ErrorType, check.Parsed, check.MayRetry));
        Assert.Contains("/sentiment", check.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("enum", check.ErrorMessage, StringComparison.Ordinal);
    }

    private static MessageResponse Message(JsonArray content, string text)
    {
        using var document = JsonDocument.Parse(content.ToJsonString());
        return new MessageResponse("msg_1", "claude-sonnet-4-5", document.RootElement.Clone(), text, "end_turn", null, new MessageUsage(10, 0, 0, 0, 0, 5));
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Messages.Tests;

/// <summary>Server-sent events assembled into the message a plain answer would have been, and what a cut stream shows.</summary>
public class StreamAssemblerTests
{
    private static readonly string[] Events =
    [
        """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":1200,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":1200,"ephemeral_1h_input_tokens":0},"output_tokens":1}}}""",
        """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}""",
        """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me "}}""",
        """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"think."}}""",
        """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}""",
        """{"type":"content_block_stop","index":0}""",
        """{"type":"ping"}""",
        """{"type":"content_block_start","index":1,"content_block":{"type":"text","text":"","citations":null}}""",
        """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"The grass "}}""",
        """{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"grass is green","document_index":0,"start_char_index":0,"end_char_index":14}}}""",
        """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"is green."}}""",
        """{"type":"content_block_stop","index":1}""",
        """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"label","input":{}}}""",
        """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}""",
        """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"sentiment\": \"pos"}}""",
        """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"itive\", \"score\": 4}"}}""",
        """{"type":"content_block_stop","index":2}""",
        """{"type":"content_block_start","index":3,"content_block":{"type":"redacted_thinking","data":"opaque"}}""",
        """{"type":"content_block_stop","index":3}""",
        """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":57}}""",
        """{"type":"message_stop"}""",
    ];

    [Fact]
    public void Every_block_type_the_stop_reason_and_the_usage_come_back_as_one_message()
    {
        var assembler = Feed(Events);

        Assert.True(assembler.Stopped);
        var message = ResponseParser.ParseMessage(assembler.ToMessageJson())!;
        var expected = JsonNode.Parse("""
            [{"type":"thinking","thinking":"Let me think.","signature":"EqQBCgIYAhIM"},
             {"type":"text","text":"The grass is green.","citations":[{"type":"char_location","cited_text":"grass is green","document_index":0,"start_char_index":0,"end_char_index":14}]},
             {"type":"tool_use","id":"toolu_1","name":"label","input":{"sentiment":"positive","score":4}},
             {"type":"redacted_thinking","data":"opaque"}]
            """);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(message.Content.GetRawText())), message.Content.GetRawText());
        Assert.Equal(("msg_1", "claude-sonnet-4-5", "tool_use", "The grass is green."), (message.Id, message.Model, message.StopReason, message.OutputText));
        Assert.Equal(new MessageUsage(25, 1200, 0, 1200, 0, 57), message.Usage);
    }

    [Fact]
    public void A_stream_cut_before_message_stop_is_not_a_message_and_shows_what_was_used()
    {
        var assembler = Feed(Events[..11]);

        Assert.False(assembler.Stopped);
        Assert.Null(assembler.Error);
        // Input from message_start; output: at least the characters received ("Let me think." and "The grass is green.") at 4 a token.
        Assert.Equal(new MessageUsage(25, 1200, 0, 1200, 0, 8), assembler.UsageSoFar());
        Assert.Null(Feed([]).UsageSoFar());
    }

    [Fact]
    public void An_error_event_ends_the_stream_with_its_error()
    {
        var assembler = Feed([Events[0], """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""]);

        Assert.False(assembler.Stopped);
        Assert.Equal(new ApiError("overloaded_error", "Overloaded"), assembler.Error);
    }

    private static StreamAssembler Feed(IEnumerable<string> events)
    {
        var assembler = new StreamAssembler();
        foreach (var data in events)
        {
            var node = JsonNode.Parse(data);
            if (!assembler.Apply(node!["type"]!.GetValue<string>(), node))
            {
                break;
            }
        }
        return assembler;
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Messages;

/// <summary>
/// Turns the server-sent events of a streamed Messages answer back into the message a plain answer would have been:
/// <c>message_start</c> gives the message and its input usage, <c>content_block_start</c>/<c>_delta</c>/<c>_stop</c> build
/// each block (text, tool input JSON, thinking and its signature, citations; blocks of unknown types are kept as they
/// started), <c>message_delta</c> gives the stop reason and the usage so far, <c>message_stop</c> ends it; <c>ping</c> is
/// ignored and <c>error</c> ends it with the error.
/// </summary>
internal sealed class StreamAssembler
{
    private readonly SortedDictionary<int, JsonObject> _blocks = [];
    private readonly Dictionary<int, StringBuilder> _text = [];
    private readonly Dictionary<int, StringBuilder> _thinking = [];
    private readonly Dictionary<int, StringBuilder> _inputJson = [];
    private JsonObject? _message;
    private JsonObject _usage = [];
    private long _generatedCharacters;

    public int Events { get; private set; }

    /// <summary><c>message_stop</c> arrived: the message is whole.</summary>
    public bool Stopped { get; private set; }

    /// <summary>An <c>error</c> event, or an event that could not be read.</summary>
    public ApiError? Error { get; private set; }

    /// <summary>Reads one event; false once the stream is over (stopped or failed) and nothing more should be read.</summary>
    public bool Apply(string eventName, JsonNode? data)
    {
        Events++;
        if (data is not JsonObject item)
        {
            Error = new ApiError("malformed_response", $"An event '{eventName}' whose data is not a JSON object");
            return false;
        }
        var type = item["type"] is JsonValue named && named.TryGetValue<string>(out var t) ? t : eventName;
        switch (type)
        {
            case "message_start":
                _message = item["message"] as JsonObject ?? [];
                item.Remove("message");
                _message.Remove("content");
                if (_message["usage"] is JsonObject usage)
                {
                    _message.Remove("usage");
                    _usage = usage;
                }
                break;
            case "content_block_start":
                if (Index(item) is { } started && item["content_block"] is JsonObject block)
                {
                    item.Remove("content_block");
                    _blocks[started] = block;
                }
                break;
            case "content_block_delta":
                if (Index(item) is { } index && item["delta"] is JsonObject delta)
                {
                    ApplyDelta(index, delta);
                }
                break;
            case "content_block_stop":
                if (Index(item) is { } stopped && !FinishBlock(stopped))
                {
                    return false;
                }
                break;
            case "message_delta":
                if (item["delta"] is JsonObject change && _message is not null)
                {
                    foreach (var name in (string[])["stop_reason", "stop_sequence"])
                    {
                        if (change.ContainsKey(name))
                        {
                            _message[name] = change[name]?.DeepClone();
                        }
                    }
                }
                if (item["usage"] is JsonObject counted)
                {
                    // Counts in message_delta are cumulative: they replace those of message_start.
                    foreach (var (name, value) in counted.ToList())
                    {
                        if (value is not null)
                        {
                            _usage[name] = value.DeepClone();
                        }
                    }
                }
                break;
            case "message_stop":
                Stopped = _message is not null;
                return false;
            case "error":
                var error = item["error"] as JsonObject;
                Error = new ApiError(
                    error?["type"]?.GetValue<string>() ?? "api_error",
                    error?["message"]?.GetValue<string>() ?? "The stream ended with an error event");
                return false;
        }
        return true;
    }

    /// <summary>The whole message as a plain answer's JSON; only once <see cref="Stopped"/>.</summary>
    public byte[] ToMessageJson()
    {
        var message = _message ?? [];
        foreach (var index in _blocks.Keys.ToList())
        {
            FinishBlock(index);
        }
        message["content"] = new JsonArray([.. _blocks.Values.Select(block => (JsonNode)block)]);
        message["usage"] = _usage;
        return JsonSerializer.SerializeToUtf8Bytes(message);
    }

    /// <summary>
    /// What the events show was used before a stream was cut: input and cache tokens from <c>message_start</c> (or a later
    /// <c>message_delta</c>), output at least what the last count said and at least the characters received at about 4 a token.
    /// Null when no <c>message_start</c> came (nothing was admitted, as far as the events show).
    /// </summary>
    public MessageUsage? UsageSoFar()
    {
        if (_message is null)
        {
            return null;
        }
        var counted = ResponseParser.ParseUsage(_usage);
        var seen = (int)Math.Min(int.MaxValue, (_generatedCharacters + 3) / 4);
        return counted with { OutputTokens = Math.Max(counted.OutputTokens, seen) };
    }

    private void ApplyDelta(int index, JsonObject delta)
    {
        var piece = (string name) => delta[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        switch (piece("type"))
        {
            case "text_delta" when piece("text") is { } text:
                Append(_text, index, text);
                break;
            case "thinking_delta" when piece("thinking") is { } thinking:
                Append(_thinking, index, thinking);
                break;
            case "input_json_delta" when piece("partial_json") is { } json:
                Append(_inputJson, index, json);
                break;
            case "signature_delta" when piece("signature") is { } signature && _blocks.TryGetValue(index, out var signed):
                signed["signature"] = signature;
                break;
            case "citations_delta" when delta["citation"] is { } citation && _blocks.TryGetValue(index, out var cited):
                if (cited["citations"] is not JsonArray citations)
                {
                    cited["citations"] = citations = [];
                }
                citations.Add(citation.DeepClone());
                break;
        }
    }

    private void Append(Dictionary<int, StringBuilder> pieces, int index, string piece)
    {
        _generatedCharacters += piece.Length;
        if (!pieces.TryGetValue(index, out var builder))
        {
            pieces[index] = builder = new StringBuilder();
        }
        builder.Append(piece);
    }

    /// <summary>Writes what the deltas built into the block; false when its tool input is not JSON.</summary>
    private bool FinishBlock(int index)
    {
        if (!_blocks.TryGetValue(index, out var block))
        {
            return true;
        }
        if (_text.Remove(index, out var text))
        {
            block["text"] = (block["text"]?.GetValue<string>() ?? "") + text;
        }
        if (_thinking.Remove(index, out var thinking))
        {
            block["thinking"] = (block["thinking"]?.GetValue<string>() ?? "") + thinking;
        }
        if (_inputJson.Remove(index, out var json))
        {
            try
            {
                block["input"] = json.Length == 0 ? new JsonObject() : JsonNode.Parse(json.ToString());
            }
            catch (JsonException e)
            {
                Error = new ApiError("malformed_response", $"The streamed input of content block {index} is not JSON: {e.Message}");
                return false;
            }
        }
        return true;
    }

    private static int? Index(JsonObject item) =>
        item["index"] is JsonValue value && value.TryGetValue<int>(out var index) && index >= 0 ? index : null;
}

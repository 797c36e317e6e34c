using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Batch.Api.Problems;
using Batch.Api.Uploads;

namespace Batch.Api.Batches;

/// <summary>
/// Reads a Message Batches create body, <c>{"requests": [{"custom_id", "params"}, ...]}</c>, as it arrives: a
/// <see cref="Utf8JsonReader"/> walks each buffer the request pipe hands over, each complete request object is checked
/// with the upload's params rules and handed on, and the pipe is advanced past it, so only the requests of one read are
/// held, never the body. The first error stops the reading; it names the place, e.g. <c>requests.12.params.messages.0.role</c>.
/// </summary>
internal sealed class BatchRequestReader(UploadOptions uploadLimits, BatchesOptions limits)
{
    private enum Phase
    {
        BeforeBody,
        InBody,
        BeforeRequests,
        InRequests,
        AfterBody,
    }

    private readonly UploadErrors _errors = new(1);
    private readonly ArrayBufferWriter<byte> _held = new(256 * 1024);
    private readonly List<(string CustomId, int Start, int Length)> _ready = [];
    private JsonlRowReader? _requests;
    private CustomIds? _customIds;
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 256 });
    private Phase _phase;
    private bool _sawRequests;

    /// <summary>Requests read so far.</summary>
    public int Count { get; private set; }

    /// <summary>The model of the first request: the job's model, for the places that show one.</summary>
    public string? FirstModel => _requests?.FirstModel;

    /// <summary>
    /// Reads the whole body, handing each valid request to <paramref name="write"/>; returns the first error, or null.
    /// </summary>
    public async Task<AnthropicError?> ReadAsync(
        PipeReader body, Func<string, ReadOnlyMemory<byte>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        _requests = new JsonlRowReader(uploadLimits, _errors, new JobSpec());
        _customIds = new CustomIds(_errors);
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            SequencePosition consumed;
            try
            {
                consumed = Parse(buffer, result.IsCompleted);
            }
            catch (JsonException invalid)
            {
                // Every read is advanced, even one that ends the reading: otherwise Kestrel cannot drain the rest of the body
                // after the answer, and aborts the connection under it.
                body.AdvanceTo(buffer.End);
                return AnthropicError.InvalidRequest($"The body is not valid JSON: {JsonlRowReader.WithoutPosition(invalid.Message)} (byte {invalid.BytePositionInLine} of line {invalid.LineNumber + 1}).");
            }
            if (Error() is { } error)
            {
                body.AdvanceTo(buffer.End);
                return error;
            }
            foreach (var (customId, start, length) in _ready)
            {
                await write(customId, _held.WrittenMemory.Slice(start, length), cancellationToken);
            }
            _ready.Clear();
            _held.ResetWrittenCount();
            if (result.IsCompleted)
            {
                body.AdvanceTo(buffer.End);
                return _phase != Phase.AfterBody ? AnthropicError.InvalidRequest("The body ends before its JSON object does.")
                    : !_sawRequests ? AnthropicError.InvalidRequest("requests: Field required.")
                    : Count == 0 ? AnthropicError.InvalidRequest("requests: at least one request is required.")
                    : null;
            }
            body.AdvanceTo(consumed, buffer.End);
        }
    }

    /// <summary>Walks the tokens of one buffer; returns how far it got (a request object cut by the buffer's end is read again next time).</summary>
    private SequencePosition Parse(ReadOnlySequence<byte> buffer, bool isFinalBlock)
    {
        var reader = new Utf8JsonReader(buffer, isFinalBlock, _state);
        while (!_errors.Any)
        {
            var stateBefore = reader.CurrentState;
            var consumedBefore = reader.BytesConsumed;
            if (!reader.Read())
            {
                break;
            }
            switch (_phase)
            {
                case Phase.BeforeBody when reader.TokenType == JsonTokenType.StartObject:
                    _phase = Phase.InBody;
                    break;
                case Phase.BeforeBody:
                    _errors.ForField("body", "The body must be a JSON object {\"requests\": [...]}.");
                    break;
                case Phase.InBody when reader.TokenType == JsonTokenType.EndObject:
                    _phase = Phase.AfterBody;
                    break;
                case Phase.InBody when reader.ValueTextEquals("requests"u8) && !_sawRequests:
                    _sawRequests = true;
                    _phase = Phase.BeforeRequests;
                    break;
                case Phase.InBody:
                    _errors.ForField(reader.GetString() ?? "body", "Extra inputs are not permitted: the body is {\"requests\": [...]}.");
                    break;
                case Phase.BeforeRequests when reader.TokenType == JsonTokenType.StartArray:
                    _phase = Phase.InRequests;
                    break;
                case Phase.BeforeRequests:
                    _errors.ForField("requests", "requests must be a list of {\"custom_id\", \"params\"}.");
                    break;
                case Phase.InRequests when reader.TokenType == JsonTokenType.EndArray:
                    _phase = Phase.InBody;
                    break;
                case Phase.InRequests:
                    var start = reader.TokenStartIndex;
                    if (!reader.TrySkip())
                    {
                        // The request goes on in data not yet received: read it whole next time.
                        _state = stateBefore;
                        return buffer.GetPosition(consumedBefore);
                    }
                    Take(buffer.Slice(start, reader.BytesConsumed - start));
                    break;
                default:
                    _errors.ForField("body", "Nothing may follow the body's JSON object.");
                    break;
            }
        }
        _state = reader.CurrentState;
        return buffer.GetPosition(reader.BytesConsumed);
    }

    private void Take(ReadOnlySequence<byte> json)
    {
        var index = Count++;
        if (Count > limits.MaxRequests)
        {
            return;
        }
        using var document = JsonDocument.Parse(json);
        if (_requests!.ReadRequest(document.RootElement, index) is not { } row)
        {
            return;
        }
        if (row.CustomId is null)
        {
            _errors.AtLine(index, "Field required.", "custom_id");
            return;
        }
        var customId = _customIds!.Resolve(index, index + 1, row.CustomId, fileMayMixIds: false);
        if (!_errors.Any)
        {
            var at = _held.WrittenCount;
            _held.Write(row.Input.Span);
            _ready.Add((customId, at, row.Input.Length));
        }
    }

    private AnthropicError? Error()
    {
        if (Count > limits.MaxRequests)
        {
            return AnthropicError.TooLarge($"A batch holds at most {limits.MaxRequests:N0} requests (Batch:Batches:MaxRequests).");
        }
        if (_errors.Reported is not [var first, ..])
        {
            return null;
        }
        var place = first switch
        {
            { Line: { } index, Field: { } field } => $"requests.{index}.{DotPath(field)}",
            { Line: { } index } => $"requests.{index}",
            { Field: { } field } => field,
            _ => "body",
        };
        return AnthropicError.InvalidRequest($"{place}: {first.Message}");
    }

    /// <summary><c>params.messages[0].role</c> as the Messages API names places: <c>params.messages.0.role</c>.</summary>
    private static string DotPath(string field) => field.Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);
}

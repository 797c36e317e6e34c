using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Batch.Api.Problems;
using Batch.Data.Entities;

namespace Batch.Api.Uploads;

/// <summary>
/// Reads JSONL line by line from the pipe as it arrives. The first object decides the shape of all lines:
/// template variables (<c>{"review": "...", "custom_id": "..."}</c>) or Anthropic's batch line
/// (<c>{"custom_id": "...", "params": {Messages body}}</c>). Errors name the line and, for JSON syntax, the column.
/// </summary>
public sealed class JsonlRowReader(UploadOptions options, UploadErrors errors, JobSpec spec)
{
    private const int MaxColumns = 1000;
    private const string CustomIdField = "custom_id";
    private const string ParamsField = "params";
    private const string UnpairedSurrogate = "an unpaired surrogate escape (\\uD800-\\uDFFF)";

    private readonly List<string> _columns = [];
    private readonly HashSet<string> _columnSet = new(StringComparer.Ordinal);
    private readonly RowJson _json = new();
    private readonly IReadOnlyList<string> _placeholders = spec.Placeholders;
    private readonly string? _idColumn = spec.IdColumn is { Length: > 0 } name ? name : null;

    public RowFormat? Format { get; private set; }

    // Requests of a Message Batches create have no file and no spec: their errors are worded as the Messages API words them.
    private bool _batchRequests;

    /// <summary>Template variable names in order of first appearance.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>The model of the first params line, for a spec that names none.</summary>
    public string? FirstModel { get; private set; }

    public async IAsyncEnumerable<UploadRow> ReadAsync(PipeReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long lineNumber = 0;
        var skipping = false;
        var sawContent = false;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } newline)
            {
                var line = buffer.Slice(0, newline);
                buffer = buffer.Slice(buffer.GetPosition(1, newline));
                lineNumber++;
                if (skipping)
                {
                    skipping = false;
                    continue;
                }
                sawContent |= !IsBlank(line);
                if (ParseLine(line, lineNumber) is { } row)
                {
                    yield return row;
                }
                if (errors.IsFull)
                {
                    yield break;
                }
            }

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty && !skipping)
                {
                    sawContent |= !IsBlank(buffer);
                    if (ParseLine(buffer, ++lineNumber) is { } last)
                    {
                        yield return last;
                    }
                }
                reader.AdvanceTo(buffer.End);
                break;
            }
            if (!skipping && buffer.Length > options.MaxLineBytes)
            {
                errors.AtLine(lineNumber + 1, $"The line is longer than the limit of {options.MaxLineBytes:N0} bytes (Batch:Uploads:MaxLineBytes).");
                skipping = true;
            }
            if (skipping)
            {
                reader.AdvanceTo(buffer.End);
            }
            else
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        if (!sawContent && !errors.Any)
        {
            errors.AtLine(1, "The file is empty: expected one JSON object per line.");
        }
    }

    private UploadRow? ParseLine(ReadOnlySequence<byte> line, long lineNumber)
    {
        if (line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }
        if (lineNumber == 1 && line.Length >= 3 && line.Slice(0, 3).ToArray() is [0xEF, 0xBB, 0xBF])
        {
            line = line.Slice(3);
        }
        if (IsBlank(line))
        {
            return null;
        }
        if (line.Length > options.MaxLineBytes)
        {
            errors.AtLine(lineNumber, $"The line is longer than the limit of {options.MaxLineBytes:N0} bytes (Batch:Uploads:MaxLineBytes).");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException exception)
        {
            errors.AtLine(lineNumber, "Not valid JSON: " + WithoutPosition(exception.Message), column: (exception.BytePositionInLine ?? 0) + 1);
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.AtLine(lineNumber, $"Each line must be a JSON object; this one is {Describe(root.ValueKind)}.");
                return null;
            }
            Format ??= root.TryGetProperty(ParamsField, out _) ? RowFormat.JsonlParams : RowFormat.JsonlTemplate;
            try
            {
                return Format == RowFormat.JsonlParams ? ParamsRow(root, lineNumber) : TemplateRow(root, lineNumber);
            }
            catch (InvalidOperationException)
            {
                // A name or custom_id System.Text.Json cannot decode; values are named where they are read.
                errors.AtLine(lineNumber, $"The line contains {UnpairedSurrogate}, which cannot be stored.");
                return null;
            }
        }
    }

    /// <summary>
    /// One request <c>{"custom_id", "params"}</c> of a Message Batches create, checked as a params line is;
    /// <paramref name="index"/> stands for the line in errors. The row's input is valid until the next call.
    /// </summary>
    public UploadRow? ReadRequest(JsonElement request, long index)
    {
        Format = RowFormat.JsonlParams;
        _batchRequests = true;
        if (request.ValueKind != JsonValueKind.Object)
        {
            errors.AtLine(index, $"Each request must be an object {{\"custom_id\", \"params\"}}; this one is {Describe(request.ValueKind)}.");
            return null;
        }
        try
        {
            return ParamsRow(request, index);
        }
        catch (InvalidOperationException)
        {
            errors.AtLine(index, $"The request contains {UnpairedSurrogate}, which cannot be stored.");
            return null;
        }
    }

    private UploadRow? ParamsRow(JsonElement root, long lineNumber)
    {
        string? customId = null;
        JsonElement? body = null;
        var before = errors.Count;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case CustomIdField when property.Value.ValueKind == JsonValueKind.String:
                    customId = property.Value.GetString();
                    break;
                case CustomIdField:
                    errors.AtLine(lineNumber, "custom_id must be a string.", CustomIdField);
                    break;
                case ParamsField:
                    body = property.Value;
                    break;
                default:
                    errors.AtLine(lineNumber, _batchRequests ? "Extra inputs are not permitted." : $"Unknown field '{property.Name}': a batch line is {{\"custom_id\", \"params\"}}.", property.Name);
                    break;
            }
        }
        if (body is null)
        {
            errors.AtLine(lineNumber, _batchRequests ? "Field required." : "This line has no params; the first line of the file had, so every line must be {\"custom_id\", \"params\"}.", ParamsField);
            return null;
        }
        if (MessagesParamsValidator.Validate(body.Value, lineNumber, errors) is not { } valid)
        {
            return null;
        }
        if (valid.Model is null && spec.Model is null)
        {
            errors.AtLine(lineNumber, _batchRequests ? "Field required." : "No model: set params.model, or model in the spec.", "params.model");
        }
        if (!valid.HasMaxTokens && spec.MaxTokens is null)
        {
            errors.AtLine(lineNumber, _batchRequests ? "Field required." : "No max_tokens: set params.max_tokens, or max_tokens in the spec.", "params.max_tokens");
        }
        if (spec.HasOutputSchema && valid.AnswerShapeField is { } shape)
        {
            errors.AtLine(lineNumber, $"The spec's output_schema decides how the model answers; remove {shape} from this line.", shape);
        }
        var raw = JsonMarshal.GetRawUtf8Value(body.Value);
        // Only escapes can hold what PostgreSQL's jsonb refuses; most lines have none and skip the walk.
        if (raw.IndexOf("\\u"u8) >= 0 && Unstorable(body.Value) is { } reason)
        {
            errors.AtLine(lineNumber, $"A string contains {reason}, which cannot be stored.", ParamsField);
        }
        if (errors.Count != before)
        {
            return null;
        }
        FirstModel ??= valid.Model;
        return new UploadRow(lineNumber, customId, _json.Copy(raw));
    }

    private UploadRow? TemplateRow(JsonElement root, long lineNumber)
    {
        var before = errors.Count;
        string? customId = null;
        string? fromIdColumn = null;
        var writer = _json.Start();
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals(CustomIdField))
            {
                if (value.ValueKind == JsonValueKind.String)
                {
                    customId = value.GetString();
                }
                else
                {
                    errors.AtLine(lineNumber, "custom_id must be a string.", CustomIdField);
                }
                continue;
            }
            if (property.NameEquals(ParamsField))
            {
                errors.AtLine(lineNumber, "The first line of the file held template variables, so params lines cannot follow.", ParamsField);
                continue;
            }
            string text;
            try
            {
                text = value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString()!,
                    JsonValueKind.Null => "",
                    _ => value.GetRawText(),
                };
            }
            catch (InvalidOperationException)
            {
                errors.AtLine(lineNumber, $"The value contains {UnpairedSurrogate}, which cannot be stored.", property.Name);
                continue;
            }
            if (text.Contains('\0', StringComparison.Ordinal))
            {
                errors.AtLine(lineNumber, "The value contains \\u0000, which cannot be stored.", property.Name);
            }
            else if (text.Length > options.MaxFieldBytes / 3 && Encoding.UTF8.GetByteCount(text) > options.MaxFieldBytes)
            {
                errors.AtLine(lineNumber, $"The value is larger than the limit of {options.MaxFieldBytes:N0} bytes (Batch:Uploads:MaxFieldBytes).", property.Name);
            }
            AddColumn(property.Name, lineNumber);
            writer.WriteString(property.Name, text);
            if (_idColumn is not null && property.NameEquals(_idColumn))
            {
                fromIdColumn = text;
            }
        }
        if (_idColumn is not null)
        {
            // The spec chose the variable that gives the ids: it wins over a custom_id field, and every line needs it.
            customId = fromIdColumn;
            if (fromIdColumn is null)
            {
                errors.AtLine(lineNumber, $"This line has no '{_idColumn}', the spec's id_column.", _idColumn);
            }
        }
        foreach (var placeholder in _placeholders)
        {
            if (placeholder.Length > 0 && !root.TryGetProperty(placeholder, out _))
            {
                errors.AtLine(lineNumber, $"The template's placeholder {{{{{placeholder}}}}} has no value on this line.", placeholder);
            }
        }
        var input = _json.Finish();
        return errors.Count == before ? new UploadRow(lineNumber, customId, input) : null;
    }

    private void AddColumn(string name, long lineNumber)
    {
        if (_columnSet.Contains(name))
        {
            return;
        }
        if (_columns.Count >= MaxColumns)
        {
            errors.AtLine(lineNumber, $"More than {MaxColumns} distinct variable names across the file.", name);
            return;
        }
        _columnSet.Add(name);
        _columns.Add(name);
    }

    /// <summary>What in the value PostgreSQL's jsonb would refuse: <c>\u0000</c>, or an escaped surrogate without its pair; null when nothing.</summary>
    private static string? Unstorable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return UnstorableText(element.GetString);
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if ((UnstorableText(() => property.Name) ?? Unstorable(property.Value)) is { } reason)
                    {
                        return reason;
                    }
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Unstorable(item) is { } reason)
                    {
                        return reason;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static string? UnstorableText(Func<string?> read)
    {
        try
        {
            return read()!.Contains('\0', StringComparison.Ordinal) ? "\\u0000" : null;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to decode an escaped surrogate that has no pair.
            return UnpairedSurrogate;
        }
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>A System.Text.Json message without its own position, which the caller names in its own terms.</summary>
    internal static string WithoutPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }
}

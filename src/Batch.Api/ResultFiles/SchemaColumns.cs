using System.Buffers;
using System.Text;
using System.Text.Json;
using Batch.Api.Uploads;

namespace Batch.Api.ResultFiles;

/// <summary>
/// A CSV column per top-level property of a job's output schema, in the schema's order: fixed by the schema, whatever
/// the rows hold. Strings and numbers are written as values, booleans as true/false, objects and arrays as compact JSON.
/// </summary>
public sealed class SchemaColumns
{
    private static readonly SchemaColumns None = new([]);

    private readonly Dictionary<string, int> _index;
    private readonly string[] _cells;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;

    private SchemaColumns(string[] names)
    {
        Names = names;
        _cells = new string[names.Length];
        _writer = new Utf8JsonWriter(_buffer, RowJson.WriterOptions);
        _index = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            _index.TryAdd(names[i], i);
        }
    }

    public IReadOnlyList<string> Names { get; }

    /// <summary>The columns of <paramref name="outputSchema"/> (as the job stores it); none for a job without one.</summary>
    public static SchemaColumns Of(string? outputSchema)
    {
        if (outputSchema is null)
        {
            return None;
        }
        using var schema = JsonDocument.Parse(outputSchema);
        return schema.RootElement.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? new SchemaColumns([.. properties.EnumerateObject().Select(p => p.Name)])
            : None;
    }

    /// <summary>One row's cells from its parsed answer (empty cells when it has none); valid until the next call.</summary>
    public IReadOnlyList<string> Cells(string? parsed)
    {
        Array.Fill(_cells, "");
        if (_cells.Length == 0 || parsed is null)
        {
            return _cells;
        }
        using var answer = JsonDocument.Parse(parsed);
        if (answer.RootElement.ValueKind != JsonValueKind.Object)
        {
            return _cells;
        }
        foreach (var property in answer.RootElement.EnumerateObject())
        {
            if (_index.TryGetValue(property.Name, out var column))
            {
                _cells[column] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Null => "",
                    // The worker keeps an answer's own text when it is on one line, spaces and all: written again, compactly.
                    JsonValueKind.Object or JsonValueKind.Array => Compact(property.Value),
                    _ => property.Value.GetRawText(),
                };
            }
        }
        return _cells;
    }

    private string Compact(JsonElement value)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        value.WriteTo(_writer);
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }
}

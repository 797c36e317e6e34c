using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Batch.Api.Uploads;

/// <summary>Builds a row's input object of strings as UTF-8 in one reused buffer, so a million rows allocate only their field strings.</summary>
internal sealed class RowJson
{
    /// <summary>Keeps non-ASCII text as it is: the input is stored, not embedded in HTML.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public RowJson() => _writer = new Utf8JsonWriter(_buffer, WriterOptions);

    public static JsonEncodedText Name(string name) => JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    public Utf8JsonWriter Start()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        return _writer;
    }

    /// <summary>The finished object as UTF-8; valid until the next <see cref="Start"/>.</summary>
    public ReadOnlyMemory<byte> Finish()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenMemory;
    }

    /// <summary>Holds a copy of JSON that is already UTF-8 (a params body), in the same reused buffer.</summary>
    public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> json)
    {
        _buffer.ResetWrittenCount();
        _buffer.Write(json);
        return _buffer.WrittenMemory;
    }
}

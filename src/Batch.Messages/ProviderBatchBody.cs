using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Messages;

/// <summary>One request of a batch: its custom_id and its Messages body.</summary>
public sealed record ProviderBatchRequest(string CustomId, JsonObject Params);

/// <summary>
/// The body of a create call, <c>{"requests":[{"custom_id":...,"params":{...}},...]}</c>, written to the connection as the
/// requests come (a slice may be 256 MB: it is never held whole). Its length is known beforehand from
/// <see cref="ItemBytes"/>, which serializes exactly as the body does, so slices are cut to the provider's byte limit.
/// </summary>
public sealed class ProviderBatchBody(IAsyncEnumerable<ProviderBatchRequest> requests, long bytes) : HttpContent
{
    /// <summary>The body's length, from <see cref="BodyBytes"/>.</summary>
    public long Bytes { get; } = bytes;

    private static readonly byte[] Start = Encoding.UTF8.GetBytes("{\"requests\":[");
    private static readonly byte[] End = Encoding.UTF8.GetBytes("]}");

    /// <summary>Bytes of one request in the body.</summary>
    public static long ItemBytes(ProviderBatchRequest request)
    {
        using var counter = new CountingStream();
        using (var writer = new Utf8JsonWriter(counter))
        {
            Write(writer, request);
        }
        return counter.Length;
    }

    /// <summary>Bytes of a body holding <paramref name="count"/> requests of <paramref name="itemBytes"/> bytes together.</summary>
    public static long BodyBytes(long itemBytes, int count) => Start.Length + itemBytes + Math.Max(0, count - 1) + End.Length;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        const int FlushAt = 64 * 1024;
        var buffer = new ArrayBufferWriter<byte>(2 * FlushAt);
        await using var writer = new Utf8JsonWriter(buffer);
        buffer.Write(Start);
        var first = true;
        await foreach (var request in requests.WithCancellation(cancellationToken))
        {
            if (!first)
            {
                buffer.Write(","u8);
            }
            first = false;
            Write(writer, request);
            await writer.FlushAsync(cancellationToken);
            // Each request is a value of its own: the writer starts afresh on the same buffer.
            writer.Reset();
            if (buffer.WrittenCount >= FlushAt)
            {
                await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
                buffer.ResetWrittenCount();
            }
        }
        buffer.Write(End);
        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = Bytes;
        return true;
    }

    private static void Write(Utf8JsonWriter writer, ProviderBatchRequest request)
    {
        writer.WriteStartObject();
        writer.WriteString("custom_id", request.CustomId);
        writer.WritePropertyName("params");
        request.Params.WriteTo(writer);
        writer.WriteEndObject();
    }

    /// <summary>Counts what is written to it, nothing more.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

using System.Buffers.Binary;

namespace Batch.Api.Uploads;

/// <summary>
/// Passes compressed bytes through to the decompressor and keeps the last eight: a gzip file ends with the CRC-32 and
/// the length of its data (ISIZE, modulo 2^32). The decompressor ends quietly when the input stops mid-stream, so
/// comparing ISIZE with the bytes that came out is what tells a whole file from one cut short in transit.
/// </summary>
public sealed class GzipTrailer(Stream compressed) : Stream
{
    private readonly byte[] _tail = new byte[8];
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    /// <summary>
    /// True when the file's last four bytes give <paramref name="decompressedBytes"/> modulo 2^32. A file of several
    /// gzip members joined end to end gives only its last member's length, so it reads as cut short too.
    /// </summary>
    public bool Matches(long decompressedBytes) =>
        _read >= 18 && BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4)) == (uint)decompressedBytes;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await compressed.ReadAsync(buffer, cancellationToken);
        Keep(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = compressed.Read(buffer, offset, count);
        Keep(buffer.AsSpan(offset, read));
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Keep(ReadOnlySpan<byte> data)
    {
        _read += data.Length;
        if (data.Length >= _tail.Length)
        {
            data[^_tail.Length..].CopyTo(_tail);
            return;
        }
        _tail.AsSpan(data.Length).CopyTo(_tail);
        data.CopyTo(_tail.AsSpan(_tail.Length - data.Length));
    }
}

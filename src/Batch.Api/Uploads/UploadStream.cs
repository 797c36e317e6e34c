using System.Text;
using System.Text.Unicode;
using Batch.Api.Problems;

namespace Batch.Api.Uploads;

/// <summary>
/// The file as it arrives: counts bytes against the upload limit and, for CSV, checks that they are UTF-8,
/// naming the line of the first invalid byte (a decoder further on could only say "somewhere").
/// Read-only and forward-only; it holds at most three bytes of a character split across reads.
/// </summary>
public sealed class UploadStream(Stream inner, long maxBytes, bool checkUtf8) : Stream
{
    private readonly byte[] _carry = new byte[4];
    private int _carryLength;
    private long _bytes;
    private long _completedLines;

    public long BytesRead => _bytes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _bytes; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Check(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Uploads are read asynchronously.");

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Check(ReadOnlySpan<byte> data)
    {
        _bytes += data.Length;
        if (_bytes > maxBytes)
        {
            throw UploadRejectedException.TooLarge(maxBytes);
        }
        if (!checkUtf8)
        {
            return;
        }
        if (data.IsEmpty)
        {
            if (_carryLength > 0)
            {
                throw InvalidAt(_completedLines + 1, "The file ends inside a multi-byte character.");
            }
            return;
        }

        var start = CompleteCarriedCharacter(data);
        if (_carryLength > 0)
        {
            return;
        }
        var rest = data[start..];
        var tail = IncompleteTail(rest);
        var whole = rest[..^tail];
        if (!Utf8.IsValid(whole))
        {
            var offset = FirstInvalidOffset(whole);
            throw InvalidAt(_completedLines + whole[..offset].Count((byte)'\n') + 1, $"The byte 0x{whole[offset]:X2} at this line is not valid UTF-8; save the file as UTF-8.");
        }
        _completedLines += data.Count((byte)'\n');
        rest[^tail..].CopyTo(_carry);
        _carryLength = tail;
    }

    /// <summary>Checks the character begun at the end of the previous read; returns how many bytes of <paramref name="data"/> it used.</summary>
    private int CompleteCarriedCharacter(ReadOnlySpan<byte> data)
    {
        if (_carryLength == 0)
        {
            return 0;
        }
        Span<byte> joined = stackalloc byte[8];
        _carry.AsSpan(0, _carryLength).CopyTo(joined);
        var taken = Math.Min(data.Length, 4 - _carryLength);
        data[..taken].CopyTo(joined[_carryLength..]);
        var status = Rune.DecodeFromUtf8(joined[..(_carryLength + taken)], out _, out var consumed);
        if (status == System.Buffers.OperationStatus.NeedMoreData && taken == data.Length)
        {
            // A read of a byte or two: keep carrying until the character is whole.
            data.CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += data.Length;
            return data.Length;
        }
        if (status != System.Buffers.OperationStatus.Done || consumed <= _carryLength)
        {
            throw InvalidAt(_completedLines + 1, "A multi-byte character at this line is not valid UTF-8; save the file as UTF-8.");
        }
        var used = consumed - _carryLength;
        _carryLength = 0;
        return used;
    }

    /// <summary>How many bytes at the end begin a character whose remaining bytes have not arrived yet.</summary>
    private static int IncompleteTail(ReadOnlySpan<byte> data)
    {
        for (var i = 1; i <= Math.Min(3, data.Length); i++)
        {
            var b = data[^i];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }
            var length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return length > i ? i : 0;
        }
        return 0;
    }

    private static int FirstInvalidOffset(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            if (Rune.DecodeFromUtf8(data[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }
            offset += consumed;
        }
        return Math.Max(0, data.Length - 1);
    }

    private static UploadRejectedException InvalidAt(long line, string message) =>
        UploadRejectedException.InFile(UploadError.AtLine(line, message));
}

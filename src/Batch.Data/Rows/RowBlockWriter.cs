using System.Buffers;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Data.Rows;

/// <summary>
/// Writes a job's rows as <c>batch.job_input_blocks</c> (a few hundred rows per value) with binary COPY on the
/// caller's connection and transaction; workers expand them into rows later (<see cref="JobInputBlocks"/>, which
/// reads the format written here).
/// One block is sent (on a pool thread) while the next is filled, so parsing, Npgsql and PostgreSQL run side by side. Disposing it
/// without <see cref="CompleteAsync"/> cancels the COPY, so nothing of a bad file is stored.
/// </summary>
public sealed class RowBlockWriter : IAsyncDisposable
{
    /// <summary>Rows per block: enough that a block's one index entry is cheap per row, few enough that one claim's worth of rows is quick to expand.</summary>
    public const int MaxRowsPerBlock = 500;

    /// <summary>Bytes per block, so that rows with long messages still make blocks of bounded memory.</summary>
    public const int MaxBlockBytes = 256 * 1024;

    private const string Copy = "COPY batch.job_input_blocks (job_id, first_seq, row_count, rows) FROM STDIN (FORMAT BINARY)";

    private readonly NpgsqlBinaryImporter _importer;
    private readonly Guid _jobId;
    private readonly int _rowsPerBlock;
    private ArrayBufferWriter<byte> _filling = new(MaxBlockBytes + 64 * 1024);
    private ArrayBufferWriter<byte> _sending = new(MaxBlockBytes + 64 * 1024);
    private Task _send = Task.CompletedTask;
    private int _blockRows;

    private RowBlockWriter(NpgsqlBinaryImporter importer, Guid jobId, int rowsPerBlock)
    {
        _importer = importer;
        _jobId = jobId;
        _rowsPerBlock = rowsPerBlock;
    }

    public int Rows { get; private set; }

    /// <summary>Starts the COPY; <paramref name="rowsPerBlock"/> other than <see cref="MaxRowsPerBlock"/> is for tests that want many blocks.</summary>
    public static async Task<RowBlockWriter> StartAsync(NpgsqlConnection connection, Guid jobId, CancellationToken cancellationToken, int rowsPerBlock = MaxRowsPerBlock) =>
        new(await connection.BeginBinaryImportAsync(Copy, cancellationToken), jobId, rowsPerBlock);

    /// <summary>
    /// Adds the next row (its seq is its position among the rows written). <paramref name="customId"/> must already
    /// match Anthropic's custom_id pattern (letters, digits, '_' and '-'): it is written as a JSON string without escaping.
    /// </summary>
    public Task WriteAsync(string customId, ReadOnlySpan<byte> inputJson, CancellationToken cancellationToken)
    {
        Rows++;
        _blockRows++;
        var size = customId.Length + inputJson.Length + 6;
        var span = _filling.GetSpan(size);
        var at = 0;
        span[at++] = _blockRows == 1 ? (byte)'[' : (byte)',';
        span[at++] = (byte)'[';
        span[at++] = (byte)'"';
        at += Encoding.ASCII.GetBytes(customId, span[at..]);
        span[at++] = (byte)'"';
        span[at++] = (byte)',';
        inputJson.CopyTo(span[at..]);
        at += inputJson.Length;
        span[at++] = (byte)']';
        _filling.Advance(at);
        return _blockRows >= _rowsPerBlock || _filling.WrittenCount >= MaxBlockBytes ? SendBlockAsync(cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Sends the last block, ends the COPY and frees the connection for the statements that follow it.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_blockRows > 0)
        {
            await SendBlockAsync(cancellationToken);
        }
        await _send;
        await _importer.CompleteAsync(cancellationToken);
        await _importer.CloseAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _send;
        }
#pragma warning disable CA1031 // The upload has already failed; what matters now is that the COPY is canceled.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        await _importer.DisposeAsync();
    }

    /// <summary>Waits for the previous block to be handed to Npgsql, then hands over this one and goes on filling the other buffer.</summary>
    private async Task SendBlockAsync(CancellationToken cancellationToken)
    {
        _filling.GetSpan(1)[0] = (byte)']';
        _filling.Advance(1);
        await _send;
        (_filling, _sending) = (_sending, _filling);
        _filling.ResetWrittenCount();
        var block = _sending.WrittenMemory;
        var firstSeq = Rows - _blockRows + 1;
        var rows = _blockRows;
        // On a pool thread: Npgsql copies the block and writes the socket synchronously while it can, which would
        // otherwise hold up the parser; this way the filling and the sending really run side by side.
        _send = Task.Run(() => SendAsync(block, firstSeq, rows, cancellationToken), CancellationToken.None);
        _blockRows = 0;
    }

    private async Task SendAsync(ReadOnlyMemory<byte> block, int firstSeq, int rows, CancellationToken cancellationToken)
    {
        await _importer.StartRowAsync(cancellationToken);
        await _importer.WriteAsync(_jobId, NpgsqlDbType.Uuid, cancellationToken);
        await _importer.WriteAsync(firstSeq, NpgsqlDbType.Integer, cancellationToken);
        await _importer.WriteAsync(rows, NpgsqlDbType.Integer, cancellationToken);
        await _importer.WriteAsync(block, NpgsqlDbType.Bytea, cancellationToken);
    }
}

using Npgsql;
using NpgsqlTypes;

namespace Batch.Api.Uploads;

/// <summary>
/// Writes a job's rows into <c>batch.job_rows</c> with binary COPY on the upload's connection and transaction.
/// Disposing it without <see cref="CompleteAsync"/> cancels the COPY, so nothing of a bad file is stored.
/// </summary>
public sealed class RowCopyWriter : IAsyncDisposable
{
    // Every NOT NULL column without a default; outcome columns stay NULL until a worker records the row.
    private const string Copy =
        "COPY batch.job_rows (job_id, seq, custom_id, input, status, attempts, input_tokens, cache_write5m_tokens, cache_write1h_tokens, cache_read_tokens, output_tokens) FROM STDIN (FORMAT BINARY)";

    private readonly NpgsqlBinaryImporter _importer;
    private readonly Guid _jobId;

    private RowCopyWriter(NpgsqlBinaryImporter importer, Guid jobId)
    {
        _importer = importer;
        _jobId = jobId;
    }

    public int Rows { get; private set; }

    public static async Task<RowCopyWriter> StartAsync(NpgsqlConnection connection, Guid jobId, CancellationToken cancellationToken) =>
        new(await connection.BeginBinaryImportAsync(Copy, cancellationToken), jobId);

    /// <summary>Writes the next row; its seq is its position among the rows written.</summary>
    public async Task WriteAsync(string customId, string inputJson, CancellationToken cancellationToken)
    {
        Rows++;
        await _importer.StartRowAsync(cancellationToken);
        await _importer.WriteAsync(_jobId, NpgsqlDbType.Uuid, cancellationToken);
        await _importer.WriteAsync(Rows, NpgsqlDbType.Integer, cancellationToken);
        await _importer.WriteAsync(customId, NpgsqlDbType.Varchar, cancellationToken);
        await _importer.WriteAsync(inputJson, NpgsqlDbType.Jsonb, cancellationToken);
        await _importer.WriteAsync((short)0, NpgsqlDbType.Smallint, cancellationToken);
        await _importer.WriteAsync((short)0, NpgsqlDbType.Smallint, cancellationToken);
        for (var i = 0; i < 5; i++)
        {
            await _importer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
        }
    }

    /// <summary>Commits the COPY and frees the connection for the statements that follow it.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await _importer.CompleteAsync(cancellationToken);
        await _importer.CloseAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _importer.DisposeAsync();
}

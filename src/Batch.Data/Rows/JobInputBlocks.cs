using Batch.Data.Entities;
using Npgsql;

namespace Batch.Data.Rows;

/// <summary>
/// Turns uploaded <see cref="JobInputBlock"/>s into <see cref="JobRow"/>s. Uploads store blocks because one
/// value per few hundred rows is several times faster to write than a row with its indexes per row; the
/// rows are needed only once a worker claims them, so workers materialize blocks as they run out of rows.
/// Each statement deletes the blocks it expands, so a row exists in exactly one of the two tables at any
/// snapshot, and a crash mid-way leaves the block whole.
/// </summary>
public static class JobInputBlocks
{
    /// <summary>A job's blocks as rows (job_id, seq, custom_id, input jsonb), for queries that must see rows not yet materialized.</summary>
    public const string ExpandedRowsSql = """
        SELECT b.job_id, b.first_seq + (r.n - 1)::int AS seq, r.pair ->> 0 AS custom_id, r.pair -> 1 AS input
        FROM batch.job_input_blocks b
        CROSS JOIN LATERAL jsonb_array_elements(convert_from(b.rows, 'UTF8')::jsonb) WITH ORDINALITY AS r(pair, n)
        """;

    /// <summary>Rows still in a job's blocks; <c>$1</c> is the job id.</summary>
    public const string UnmaterializedRowsSql = "(SELECT coalesce(sum(row_count), 0)::int FROM batch.job_input_blocks WHERE job_id = $1)";

    private static string MaterializeSql(string locking) => $"""
        WITH picked AS (
            DELETE FROM batch.job_input_blocks
            WHERE job_id = $1 AND first_seq IN (
                SELECT first_seq FROM batch.job_input_blocks WHERE job_id = $1 ORDER BY first_seq LIMIT $2 {locking})
            RETURNING job_id, first_seq, rows),
        expanded AS (
            {ExpandedRowsSql.Replace("batch.job_input_blocks b", "picked b", StringComparison.Ordinal)}),
        inserted AS (
            INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, completed_at,
                input_tokens, cache_write5m_tokens, cache_write1h_tokens, cache_read_tokens, output_tokens)
            SELECT job_id, seq, custom_id, input, $3, 0, CASE WHEN $3 IN ({(short)RowStatus.Canceled}, {(short)RowStatus.Expired}) THEN now() END, 0, 0, 0, 0, 0
            FROM expanded
            RETURNING 1)
        SELECT count(*)::int FROM inserted
        """;

    // Workers skip blocks another worker is expanding; a cancel waits for them so none is left behind.
    private static readonly string MaterializeNextSql = MaterializeSql("FOR UPDATE SKIP LOCKED");
    private static readonly string MaterializeAllSql = MaterializeSql("FOR UPDATE");

    /// <summary>Expands the job's next <paramref name="blocks"/> blocks into pending rows; returns the rows added (0 when none is left).</summary>
    public static async Task<int> MaterializeNextAsync(NpgsqlDataSource dataSource, Guid jobId, int blocks, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(MaterializeNextSql);
        return await ExecuteAsync(command, jobId, blocks, RowStatus.Pending, cancellationToken);
    }

    /// <summary>Expands every block left into rows of <paramref name="status"/>, waiting for blocks a worker is expanding.</summary>
    public static async Task<int> MaterializeAllAsync(NpgsqlConnection connection, Guid jobId, RowStatus status, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(MaterializeAllSql, connection) { CommandTimeout = 0 };
        return await ExecuteAsync(command, jobId, int.MaxValue, status, cancellationToken);
    }

    private static async Task<int> ExecuteAsync(NpgsqlCommand command, Guid jobId, int blocks, RowStatus status, CancellationToken cancellationToken)
    {
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = blocks });
        command.Parameters.Add(new() { Value = (short)status });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

using Npgsql;

namespace Batch.Data.Retention;

/// <summary>
/// Deletes a job a few thousand rows per statement, each statement its own short transaction, then its blocks, then the job
/// (its chunk reports, webhook events and cache warm-up go with it). Other jobs' result writes touch none of these rows,
/// so they never wait on a deletion; one big DELETE would not make them wait either, but its one long transaction holds
/// back vacuum for all of it, and nothing of it stays done when it is stopped.
/// What the job spent stays in <c>cost_rollups</c> and <c>account_monthly_spend</c>, which no deletion touches.
/// </summary>
public static class JobDeletion
{
    public const int DefaultBatchRows = 5000;

    // A block holds 500 rows of compressed input: a few per statement keep the statement as small as a batch of rows.
    private const int BlocksPerStatement = 10;

    /// <param name="onBatch">Told the rows each statement deleted (tests and metrics).</param>
    /// <returns>The rows deleted.</returns>
    public static async Task<long> DeleteAsync(NpgsqlDataSource dataSource, Guid jobId, int batchRows, Action<int>? onBatch, CancellationToken cancellationToken)
    {
        long deleted = 0;
        int rows;
        do
        {
            rows = await ExecuteAsync(dataSource, """
                DELETE FROM batch.job_rows
                WHERE job_id = $1 AND seq IN (SELECT seq FROM batch.job_rows WHERE job_id = $1 ORDER BY seq LIMIT $2)
                """, jobId, batchRows, cancellationToken);
            deleted += rows;
            if (rows > 0)
            {
                onBatch?.Invoke(rows);
            }
        }
        while (rows > 0);
        while (await ExecuteAsync(dataSource, """
            DELETE FROM batch.job_input_blocks
            WHERE job_id = $1 AND first_seq IN (SELECT first_seq FROM batch.job_input_blocks WHERE job_id = $1 ORDER BY first_seq LIMIT $2)
            """, jobId, BlocksPerStatement, cancellationToken) > 0)
        {
        }
        await ExecuteAsync(dataSource, "DELETE FROM batch.jobs WHERE id = $1", jobId, null, cancellationToken);
        return deleted;
    }

    private static async Task<int> ExecuteAsync(NpgsqlDataSource dataSource, string sql, Guid jobId, int? limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new() { Value = jobId });
        if (limit is { } value)
        {
            command.Parameters.Add(new() { Value = value });
        }
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

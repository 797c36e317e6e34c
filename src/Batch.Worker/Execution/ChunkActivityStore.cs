using Batch.Data.Entities;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.Execution;

/// <summary>
/// Where a chunk publishes what it holds of a job (<c>job_chunk_activity</c>): one row per running chunk, rewritten at
/// every status poll with a time after which readers ignore it. Status reads sum the fresh rows, so claimed and in-flight
/// counts are right across processes, and a dead process's rows drop out on their own.
/// </summary>
internal sealed class ChunkActivityStore(NpgsqlDataSource dataSource)
{
    // The status read rides along, so publishing costs no round trip of its own; rows stale for a minute are cleared on the way.
    private const string PublishSql = """
        WITH published AS (
            INSERT INTO batch.job_chunk_activity (job_id, chunk_id, claimed, in_flight, expires_at)
            VALUES ($1, $2, $3, $4, now() + $5)
            ON CONFLICT (job_id, chunk_id) DO UPDATE SET claimed = excluded.claimed, in_flight = excluded.in_flight, expires_at = excluded.expires_at),
        cleared AS (
            DELETE FROM batch.job_chunk_activity WHERE job_id = $1 AND expires_at < now() - interval '1 minute')
        SELECT status FROM batch.jobs WHERE id = $1
        """;

    /// <summary>Publishes the chunk's counts, fresh for <paramref name="freshFor"/>, and reads the job's status (null: the job is gone).</summary>
    public async Task<JobStatus?> PublishAsync(Guid jobId, Guid chunkId, int claimed, int inFlight, TimeSpan freshFor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PublishSql);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = chunkId });
        command.Parameters.Add(new() { Value = claimed });
        command.Parameters.Add(new() { Value = inFlight });
        command.Parameters.Add(new() { Value = freshFor, NpgsqlDbType = NpgsqlDbType.Interval });
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken) is short status ? (JobStatus)status : null;
        }
        catch (PostgresException gone) when (gone.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return null;
        }
    }

    /// <summary>The chunk has ended: it holds nothing.</summary>
    public async Task ForgetAsync(Guid jobId, Guid chunkId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM batch.job_chunk_activity WHERE job_id = $1 AND chunk_id = $2");
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = chunkId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

using Batch.Data.Entities;
using Batch.Data.Webhooks;
using Npgsql;

namespace Batch.Data.Rows;

/// <summary>
/// Ends jobs that reached their <see cref="Job.ExpiresAt"/> (batches created through the Message Batches API): the job
/// becomes <see cref="JobStatus.Expired"/> and its unsent rows <see cref="RowStatus.Expired"/>; requests in flight are
/// answered and recorded. Workers run it every sweep; the API runs it for a batch it is asked about, so a batch past its
/// time never reads as in progress. The job's webhook is recorded in the same transaction, as for any other end.
/// </summary>
public static class JobExpiry
{
    private static readonly string Stoppable = $"({(short)JobStatus.Queued}, {(short)JobStatus.Running}, {(short)JobStatus.Paused})";

    private static readonly string DueSql = $"SELECT id FROM batch.jobs WHERE expires_at <= now() AND status IN {Stoppable} AND ($1::uuid IS NULL OR id = $1)";

    private static readonly string ExpireSql = $"""
        UPDATE batch.jobs SET status = {(short)JobStatus.Expired}, finished_at = now(), updated_at = now(),
            status_reason = 'Expired at ' || to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ': rows not yet sent were not sent.'
        WHERE id = $1 AND expires_at <= now() AND status IN {Stoppable}
        RETURNING name
        """;

    // A claim that died holding rows of a stopped job leaves them leased: nobody claims rows of a job that is not running,
    // so once the lease has run out they end as the job did, and the batch can end.
    private static readonly string AbandonedSql = $"""
        WITH closed AS (
            UPDATE batch.job_rows r
            SET status = CASE WHEN j.status = {(short)JobStatus.Canceled} THEN {(short)RowStatus.Canceled} ELSE {(short)RowStatus.Expired} END,
                lease_token = NULL, lease_expires_at = NULL, reserved_usd = NULL, completed_at = now()
            FROM batch.jobs j
            WHERE j.id = r.job_id AND j.status IN ({(short)JobStatus.Canceled}, {(short)JobStatus.Expired})
              AND r.status = {(short)RowStatus.Leased} AND r.lease_expires_at < now()
            RETURNING r.job_id, r.status)
        UPDATE batch.jobs j SET canceled_rows = j.canceled_rows + c.canceled, expired_rows = j.expired_rows + c.expired, updated_at = now()
        FROM (SELECT job_id, count(*) FILTER (WHERE status = {(short)RowStatus.Canceled}) AS canceled,
                     count(*) FILTER (WHERE status = {(short)RowStatus.Expired}) AS expired
              FROM closed GROUP BY job_id) c
        WHERE j.id = c.job_id
        """;

    /// <summary>
    /// Expires every job past its time (or only <paramref name="jobId"/>); returns the jobs expired with their webhook events,
    /// for the caller to enqueue (a caller that does not leaves them to the workers' webhook sweep).
    /// </summary>
    public static async Task<IReadOnlyList<ExpiredJob>> ExpireDueAsync(NpgsqlDataSource dataSource, Guid? jobId, CancellationToken cancellationToken)
    {
        var due = new List<Guid>();
        await using (var find = dataSource.CreateCommand(DueSql))
        {
            find.Parameters.Add(new() { Value = (object?)jobId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add(reader.GetGuid(0));
            }
        }
        var expired = new List<ExpiredJob>();
        foreach (var id in due)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var expire = new NpgsqlCommand(ExpireSql, connection) { Parameters = { new() { Value = id } } };
            // Whoever changes the status first (another sweep, a cancel, the last row finishing) wins; the others do nothing.
            if (await expire.ExecuteScalarAsync(cancellationToken) is string name)
            {
                await UnsentRows.CloseAsync(connection, id, RowStatus.Expired, cancellationToken);
                // After the rows are closed, so the webhook's counts include them.
                expired.Add(new ExpiredJob(id, name, await WebhookEvents.RecordAsync(connection, id, cancellationToken)));
            }
            await transaction.CommitAsync(cancellationToken);
        }
        return expired;
    }

    /// <summary>Ends rows that dead claims left leased in canceled and expired jobs.</summary>
    public static async Task CloseAbandonedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AbandonedSql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A job <see cref="JobExpiry"/> expired, and the webhook events its expiry recorded.</summary>
public sealed record ExpiredJob(Guid Id, string Name, Guid[] WebhookEvents);

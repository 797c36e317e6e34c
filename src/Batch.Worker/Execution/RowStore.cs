using Batch.Data.Entities;
using Batch.Data.Rows;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.Execution;

/// <summary>A row claimed by a chunk: its lease is <see cref="LeaseToken"/>.</summary>
internal sealed record ClaimedRow(Guid JobId, int Seq, string CustomId, string Input, short Claims);

/// <summary>
/// The hand-written SQL of the hot path: claiming rows with leases, renewing and releasing them, and the
/// conditional status changes of a job. Every statement is one round trip.
/// </summary>
internal sealed class RowStore(NpgsqlDataSource dataSource, JobTransitions transitions)
{
    // Expired leases first (a dead worker's rows), then pending rows in file order; SKIP LOCKED lets any
    // number of chunks in any number of processes claim side by side without waiting on each other. A new claim
    // starts without a spend-cap reservation: an expired claim's reservation ends with its lease.
    // The plan must not depend on statistics, which lag a table whose rows change status by the thousand a second (seen
    // with auto_explain: claims of 58 ms median, 114 ms at p90, late in a 100k-row job):
    // - pending rows are sought after $5, the last row the chunk claimed, so a claim does not walk every row done so far
    //   whichever index the planner takes;
    // - expired leases are taken oldest first, an order only the index of leased rows gives, so the planner does not
    //   filter the job's every row in the hope of finding a few soon.
    internal const string ClaimSql = """
        WITH expired AS (
            SELECT job_id, seq FROM batch.job_rows
            WHERE job_id = $1 AND status = 1 AND lease_expires_at < now()
            ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED),
        pending AS (
            SELECT job_id, seq FROM batch.job_rows
            WHERE job_id = $1 AND status = 0 AND seq > $5
            ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED),
        picked AS (
            SELECT job_id, seq FROM expired UNION ALL SELECT job_id, seq FROM pending LIMIT $2)
        UPDATE batch.job_rows r
        SET status = 1, lease_token = $3, lease_expires_at = now() + $4, attempts = r.attempts + 1, reserved_usd = NULL
        FROM picked p
        WHERE r.job_id = p.job_id AND r.seq = p.seq
        RETURNING r.seq, r.custom_id, r.input::text, r.attempts
        """;

    /// <summary>
    /// Claims up to <paramref name="count"/> rows, expanding the job's uploaded blocks into rows when too few are
    /// left: rows exist only once somebody is about to need them.
    /// </summary>
    /// <param name="after">Look for pending rows after this seq first (the last one the caller claimed; 0 at first).</param>
    public async Task<List<ClaimedRow>> ClaimAsync(Guid jobId, int count, Guid leaseToken, TimeSpan lease, int after, CancellationToken cancellationToken)
    {
        var rows = await ClaimRowsAsync(jobId, count, leaseToken, lease, after, cancellationToken);
        while (rows.Count < count && await MaterializeAsync(jobId, cancellationToken))
        {
            rows.AddRange(await ClaimRowsAsync(jobId, count - rows.Count, leaseToken, lease, after, cancellationToken));
        }
        if (rows.Count < count && after > 0)
        {
            // Rows given back behind the caller (by a chunk that stopped) are claimed once none is left ahead of it.
            rows.AddRange(await ClaimRowsAsync(jobId, count - rows.Count, leaseToken, lease, 0, cancellationToken));
        }
        rows.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
        return rows;
    }

    /// <summary>Expands the job's next block; false when none is left, or when one cannot be read and the job has been failed for it.</summary>
    private async Task<bool> MaterializeAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            return await JobInputBlocks.MaterializeNextAsync(dataSource, jobId, 1, cancellationToken) > 0;
        }
        catch (PostgresException unreadable) when (unreadable.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // The upload checks what PostgreSQL would refuse; should something slip through, the job stops with the reason
            // rather than being retried for ever.
            await StopAsync(jobId, JobStatus.Failed, $"Uploaded rows could not be read: {unreadable.MessageText}", cancellationToken);
            return false;
        }
    }

    private async Task<List<ClaimedRow>> ClaimRowsAsync(Guid jobId, int count, Guid leaseToken, TimeSpan lease, int after, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = count });
        command.Parameters.Add(new() { Value = leaseToken });
        command.Parameters.Add(new() { Value = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new() { Value = after });
        var rows = new List<ClaimedRow>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ClaimedRow(jobId, reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt16(3)));
        }
        return rows;
    }

    public async Task RenewAsync(Guid jobId, Guid leaseToken, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE batch.job_rows SET lease_expires_at = now() + $3 WHERE job_id = $1 AND status = 1 AND lease_token = $2");
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = leaseToken });
        command.Parameters.Add(new() { Value = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Gives rows that were claimed but not recorded back: pending again, or canceled or expired (and counted) when the
    /// job was canceled or expired meanwhile, since those only end the rows that were pending at that moment.
    /// </summary>
    public async Task ReleaseAsync(Guid jobId, int[] seqs, Guid leaseToken, CancellationToken cancellationToken)
    {
        if (seqs.Length == 0)
        {
            return;
        }
        await using var command = dataSource.CreateCommand("""
            WITH job AS (SELECT CASE status WHEN 5 THEN 4 WHEN 6 THEN 5 ELSE 0 END AS row_status FROM batch.jobs WHERE id = $1),
            released AS (
                UPDATE batch.job_rows r
                SET status = (SELECT row_status FROM job),
                    lease_token = NULL, lease_expires_at = NULL,
                    completed_at = CASE WHEN (SELECT row_status FROM job) <> 0 THEN now() END
                WHERE r.job_id = $1 AND r.seq = ANY($2) AND r.status = 1 AND r.lease_token = $3
                RETURNING r.status)
            UPDATE batch.jobs SET canceled_rows = canceled_rows + c.canceled, expired_rows = expired_rows + c.expired, updated_at = now()
            FROM (SELECT count(*) FILTER (WHERE status = 4)::int AS canceled, count(*) FILTER (WHERE status = 5)::int AS expired FROM released) c
            WHERE id = $1 AND c.canceled + c.expired > 0
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = seqs });
        command.Parameters.Add(new() { Value = leaseToken });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The earliest lease expiry of rows held by other claims, or null when no other claim holds any. Rows a provider batch
    /// holds (an infinite lease, until the slice's results are imported) never come back to a chunk, so they do not count.
    /// </summary>
    public async Task<DateTimeOffset?> OthersLeaseExpiryAsync(Guid jobId, Guid leaseToken, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT min(lease_expires_at) FROM batch.job_rows WHERE job_id = $1 AND status = 1 AND lease_token IS DISTINCT FROM $2 AND lease_expires_at <> 'infinity'");
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = leaseToken });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    public async Task<int> CountPendingAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT (SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 0) + {JobInputBlocks.UnmaterializedRowsSql}");
        command.Parameters.Add(new() { Value = jobId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>queued → running; true when the job is running afterwards.</summary>
    public async Task<bool> MarkRunningAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.jobs SET status = 1, started_at = coalesce(started_at, now()), finished_at = NULL, status_reason = NULL, updated_at = now()
            WHERE id = $1 AND status IN (0, 1)
            """);
        command.Parameters.Add(new() { Value = jobId });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// running → completed, or failed (with the first error as the reason) when no row succeeded; only when no row is
    /// pending, leased or still in a block: whichever chunk finishes last wins. Null when the job is not finished.
    /// </summary>
    public async Task<JobStatus?> TryFinishAsync(Guid jobId, CancellationToken cancellationToken) =>
        (await transitions.ApplyAsync(jobId, """
            UPDATE batch.jobs SET
                status = CASE WHEN succeeded_rows = 0 THEN 4 ELSE 3 END,
                status_reason = CASE WHEN succeeded_rows = 0 THEN format(
                    'No row succeeded (%s failed). The first error: %s. Fix the spec and upload the file again, or retry the failed rows once the cause is gone.',
                    failed_rows,
                    coalesce((SELECT concat_ws(': ', error_type, error_message) FROM batch.job_rows
                              WHERE job_id = $1 AND status = 3 ORDER BY completed_at, seq LIMIT 1), 'none was recorded'))
                END,
                finished_at = now(), updated_at = now()
            WHERE id = $1 AND status = 1
              AND NOT EXISTS (SELECT 1 FROM batch.job_rows WHERE job_id = $1 AND status = 0)
              AND NOT EXISTS (SELECT 1 FROM batch.job_rows WHERE job_id = $1 AND status = 1)
              AND NOT EXISTS (SELECT 1 FROM batch.job_input_blocks WHERE job_id = $1)
            RETURNING *
            """, cancellationToken, jobId))?.Status;

    /// <summary>running (or queued) → paused or failed, with a reason a user can act on.</summary>
    public async Task<bool> StopAsync(Guid jobId, JobStatus status, string reason, CancellationToken cancellationToken) =>
        await transitions.ApplyAsync(jobId, """
            UPDATE batch.jobs SET status = $2, status_reason = $3, finished_at = CASE WHEN $2 = 4 THEN now() END, updated_at = now()
            WHERE id = $1 AND status IN (0, 1)
            RETURNING *
            """, cancellationToken, jobId, (short)status, reason) is not null;

    public async Task SetCacheNoteAsync(Guid jobId, string? note, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE batch.jobs SET cache_note = $2, updated_at = now() WHERE id = $1 AND cache_note IS DISTINCT FROM $2");
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Running jobs sent by Messages requests whose claimable rows nobody holds a live lease on (their worker died), and such
    /// jobs with nothing left to do. Provider-batch jobs have their own poll chain; rows a provider batch holds are no chunk's.
    /// </summary>
    public async Task<List<(Guid JobId, string JobName, bool HasWork)>> FindUnattendedJobsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT j.id, j.name, EXISTS (SELECT 1 FROM batch.job_rows r WHERE r.job_id = j.id AND (r.status = 0 OR (r.status = 1 AND r.lease_expires_at < now())))
                      OR EXISTS (SELECT 1 FROM batch.job_input_blocks b WHERE b.job_id = j.id)
            FROM batch.jobs j
            WHERE j.status = 1 AND j.delivery = 0
              AND NOT EXISTS (SELECT 1 FROM batch.job_rows r WHERE r.job_id = j.id AND r.status = 1 AND r.lease_expires_at >= now() AND r.lease_expires_at <> 'infinity')
            """);
        var jobs = new List<(Guid, string, bool)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add((reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2)));
        }
        return jobs;
    }
}

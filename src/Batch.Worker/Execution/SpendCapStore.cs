using Batch.Data.Entities;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.Execution;

/// <summary>What a reservation against the spend caps came to.</summary>
internal enum ReservationVerdict
{
    /// <summary>Reserved on the row: send it.</summary>
    Reserved = 0,

    /// <summary>The claim no longer holds the row (another claim took it over).</summary>
    LeaseLost = 1,

    /// <summary>The job's spend so far plus this row's worst case is over <c>max_cost_usd</c>: the job cannot send it.</summary>
    JobCapReached = 2,

    /// <summary>The account's spend this month plus this row's worst case is over its monthly limit.</summary>
    AccountLimitReached = 3,

    /// <summary>It would fit once rows in flight settle (to at most what they reserved): wait and try again.</summary>
    WaitForRowsInFlight = 4,
}

/// <summary>A job's and its account's spend, caps (null: none) and reservations in flight.</summary>
internal sealed record SpendRoom(decimal JobSpentUsd, decimal? MaxCostUsd, decimal JobReservedUsd, decimal AccountSpentUsd, decimal? MonthlyLimitUsd, decimal AccountReservedUsd)
{
    /// <summary>What more may be reserved under the job's cap; null when it has none.</summary>
    public decimal? JobRoomUsd => MaxCostUsd - JobSpentUsd - JobReservedUsd;

    /// <summary>What more may be reserved under the account's monthly limit; null when it has none.</summary>
    public decimal? AccountRoomUsd => MonthlyLimitUsd - AccountSpentUsd - AccountReservedUsd;
}

/// <summary>The verdict and the figures behind it, for the pause reason.</summary>
internal sealed record Reservation(ReservationVerdict Verdict, decimal JobSpentUsd, decimal? MaxCostUsd, decimal AccountSpentUsd, decimal? MonthlyLimitUsd);

/// <summary>
/// The SQL of the spend caps. A reservation is the row's <c>reserved_usd</c>, and it counts only while the row is leased
/// (status 1): recording the row (the result writer's statement adds the actual cost as it ends the lease), releasing it, or
/// another claim taking it over ends the reservation in the same statement that ends the lease. Nothing is kept in a
/// counter, so nothing can leak: what is reserved is always the sum over the rows in flight.
/// </summary>
internal sealed class SpendCapStore(NpgsqlDataSource dataSource)
{
    private const string ThisMonth = "(date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC')::date";

    // Locks first (the job's row, then the account's spend row of this month: the order the result writer takes them in;
    // NO KEY UPDATE, as an UPDATE takes, so inserts of the job's rows, whose foreign key needs a KEY SHARE lock, go on),
    // then, in a statement of its own so that it sees everything committed before the locks were granted, the decision.
    // A writer that records rows of the job or the account waits for the locks, so spend and reservations are read together.
    private const string LockJobSql = "SELECT 1 FROM batch.jobs WHERE id = $1 FOR NO KEY UPDATE";

    private const string CreateSpendRowSql = $"""
        INSERT INTO batch.account_monthly_spend (account_id, month, cost_usd) VALUES ($1, {ThisMonth}, 0)
        ON CONFLICT (account_id, month) DO NOTHING
        """;

    private const string LockSpendRowSql = $"SELECT 1 FROM batch.account_monthly_spend WHERE account_id = $1 AND month = {ThisMonth} FOR NO KEY UPDATE";

    // The job's spend and cap and what its rows in flight reserve; the account's likewise ($1: job, $2: account).
    private const string FiguresSql = $"""
        job AS (
            SELECT cost_usd, max_cost_usd FROM batch.jobs WHERE id = $1),
        job_reserved AS (
            SELECT coalesce(sum(reserved_usd), 0) AS usd FROM batch.job_rows
            WHERE job_id = $1 AND status = 1 AND reserved_usd IS NOT NULL),
        account AS (
            SELECT a.monthly_cost_limit_usd AS limit_usd, coalesce(s.cost_usd, 0) AS spent
            FROM batch.provider_accounts a
            LEFT JOIN batch.account_monthly_spend s ON s.account_id = a.id AND s.month = {ThisMonth}
            WHERE a.id = $2),
        account_reserved AS (
            SELECT coalesce(sum(r.reserved_usd), 0) AS usd FROM batch.job_rows r JOIN batch.jobs j ON j.id = r.job_id
            WHERE r.status = 1 AND r.reserved_usd IS NOT NULL AND j.account_id = $2)
        """;

    private const string RoomSql = $"""
        WITH {FiguresSql}
        SELECT job.cost_usd, job.max_cost_usd, job_reserved.usd, account.spent, account.limit_usd, account_reserved.usd
        FROM job, job_reserved, account, account_reserved
        """;

    private const string ReserveSql = $"""
        WITH {FiguresSql},
        verdict AS (
            SELECT CASE
                    WHEN job.max_cost_usd IS NOT NULL AND job.cost_usd + $5 > job.max_cost_usd THEN 2
                    WHEN $6 AND account.limit_usd IS NOT NULL AND account.spent + $5 > account.limit_usd THEN 3
                    WHEN job.max_cost_usd IS NOT NULL AND job.cost_usd + job_reserved.usd + $5 > job.max_cost_usd THEN 4
                    WHEN $6 AND account.limit_usd IS NOT NULL AND account.spent + account_reserved.usd + $5 > account.limit_usd THEN 4
                    ELSE 0 END AS code,
                   job.cost_usd, job.max_cost_usd, account.spent, account.limit_usd
            FROM job, job_reserved, account, account_reserved),
        reserved AS (
            UPDATE batch.job_rows SET reserved_usd = $5
            WHERE job_id = $1 AND seq = $3 AND status = 1 AND lease_token = $4 AND (SELECT code FROM verdict) = 0
            RETURNING 1)
        SELECT CASE WHEN v.code = 0 AND NOT EXISTS (SELECT 1 FROM reserved) THEN 1 ELSE v.code END,
               v.cost_usd, v.max_cost_usd, v.spent, v.limit_usd
        FROM verdict v
        """;

    // A claim that expired holding a reservation belongs to a dead (or stalled) process: ending its lease ends the
    // reservation and makes any late answer from it unrecordable. Rows go back to pending, or are canceled (and counted)
    // when their job was canceled meanwhile, as a release would do.
    private const string FreeExpiredSql = """
        WITH expired AS (
            SELECT r.job_id, r.seq FROM batch.job_rows r
            WHERE r.status = 1 AND r.reserved_usd IS NOT NULL AND r.lease_expires_at < now()
            FOR UPDATE SKIP LOCKED),
        freed AS (
            UPDATE batch.job_rows r
            SET status = CASE WHEN j.status = 5 THEN 4 ELSE 0 END, lease_token = NULL, lease_expires_at = NULL, reserved_usd = NULL,
                completed_at = CASE WHEN j.status = 5 THEN now() END
            FROM expired e, batch.jobs j
            WHERE r.job_id = e.job_id AND r.seq = e.seq AND j.id = r.job_id
            RETURNING r.job_id, r.status),
        counted AS (
            UPDATE batch.jobs j SET canceled_rows = j.canceled_rows + c.n, updated_at = now()
            FROM (SELECT job_id, count(*)::int AS n FROM freed WHERE status = 4 GROUP BY job_id) c
            WHERE j.id = c.job_id)
        SELECT count(*)::int FROM freed
        """;

    // Pauses re-check their cap in the same statement: a verdict read before the cap was raised (and the job resumed)
    // must not pause the job again.
    private const string PauseAtJobCapSql = """
        UPDATE batch.jobs SET status = 2, status_reason = $2, updated_at = now()
        WHERE id = $1 AND status IN (0, 1) AND max_cost_usd IS NOT NULL AND cost_usd + $3 > max_cost_usd
        """;

    private const string PauseAtAccountLimitSql = $"""
        WITH paused AS (
            UPDATE batch.jobs j SET status = 2, status_reason = $2, updated_at = now()
            FROM batch.provider_accounts a
            WHERE j.id = $1 AND j.status IN (0, 1) AND a.id = j.account_id AND a.monthly_cost_limit_usd IS NOT NULL
              AND coalesce((SELECT s.cost_usd FROM batch.account_monthly_spend s WHERE s.account_id = a.id AND s.month = {ThisMonth}), 0) + $3
                  > a.monthly_cost_limit_usd
            RETURNING j.id, j.account_id)
        INSERT INTO batch.account_cap_pauses (job_id, account_id, needed_usd, paused_at)
        SELECT id, account_id, $3, now() FROM paused
        ON CONFLICT (job_id) DO UPDATE SET needed_usd = excluded.needed_usd, paused_at = excluded.paused_at
        """;

    /// <summary>Which caps apply to the job now: its own <c>max_cost_usd</c>, its account's monthly limit.</summary>
    public async Task<(bool JobCapped, bool AccountLimited)> CapsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT j.max_cost_usd IS NOT NULL, a.monthly_cost_limit_usd IS NOT NULL
            FROM batch.jobs j JOIN batch.provider_accounts a ON a.id = j.account_id WHERE j.id = $1
            """);
        command.Parameters.Add(new() { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetBoolean(0), reader.GetBoolean(1)) : (false, false);
    }

    /// <summary>Reserves <paramref name="worstCaseUsd"/> on the leased row if it fits under the caps that apply, in one round trip.</summary>
    public async Task<Reservation> ReserveAsync(
        Guid jobId, Guid accountId, int seq, Guid leaseToken, decimal worstCaseUsd, bool jobCapped, bool accountLimited, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        AddLocks(batch, jobId, accountId, jobCapped, accountLimited);
        batch.BatchCommands.Add(Command(ReserveSql, jobId, accountId, seq, leaseToken, worstCaseUsd, accountLimited));
        Reservation reservation;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (reader.FieldCount != 5 || !reader.HasRows)
            {
                if (!await reader.NextResultAsync(cancellationToken))
                {
                    throw new InvalidOperationException("The reservation answered nothing: the job or its account is gone.");
                }
            }
            await reader.ReadAsync(cancellationToken);
            reservation = new Reservation(
                (ReservationVerdict)reader.GetInt32(0),
                reader.GetDecimal(1),
                reader.IsDBNull(2) ? null : reader.GetDecimal(2),
                reader.GetDecimal(3),
                reader.IsDBNull(4) ? null : reader.GetDecimal(4));
        }
        await transaction.CommitAsync(cancellationToken);
        return reservation;
    }

    /// <summary>The job's row and the account's spend row of this month, locked in that order (the caps that apply only).</summary>
    private static void AddLocks(NpgsqlBatch batch, Guid jobId, Guid accountId, bool jobCapped, bool accountLimited)
    {
        if (jobCapped)
        {
            batch.BatchCommands.Add(Command(LockJobSql, jobId));
        }
        if (accountLimited)
        {
            batch.BatchCommands.Add(Command(CreateSpendRowSql, accountId));
            batch.BatchCommands.Add(Command(LockSpendRowSql, accountId));
        }
    }

    /// <summary>
    /// Takes the locks a reservation takes (the job's row, the account's spend row of this month) in the caller's transaction,
    /// then reads the spend, caps and reservations behind them: what a provider batch's slice must fit in before its rows are
    /// leased and reserved in the same transaction.
    /// </summary>
    public static async Task<SpendRoom> LockAndReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid jobId, Guid accountId, bool jobCapped, bool accountLimited, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        AddLocks(batch, jobId, accountId, jobCapped, accountLimited);
        batch.BatchCommands.Add(Command(RoomSql, jobId, accountId));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (reader.FieldCount != 6 || !reader.HasRows)
        {
            if (!await reader.NextResultAsync(cancellationToken))
            {
                throw new InvalidOperationException("The spend figures answered nothing: the job or its account is gone.");
            }
        }
        await reader.ReadAsync(cancellationToken);
        return new SpendRoom(
            reader.GetDecimal(0), reader.IsDBNull(1) ? null : reader.GetDecimal(1), reader.GetDecimal(2),
            reader.GetDecimal(3), reader.IsDBNull(4) ? null : reader.GetDecimal(4), reader.GetDecimal(5));
    }

    /// <summary>Ends the leases (and reservations) of rows whose claim expired; returns how many.</summary>
    public async Task<int> FreeExpiredReservationsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FreeExpiredSql);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Pauses the job at its own cap if the row still does not fit; false when it does now, or the job was not running.</summary>
    public Task<bool> PauseAtJobCapAsync(Guid jobId, string reason, decimal neededUsd, CancellationToken cancellationToken) =>
        PauseAsync(PauseAtJobCapSql, jobId, reason, neededUsd, cancellationToken);

    /// <summary>
    /// Pauses the job at its account's monthly limit, noting what it needs to go on, if the row still does not fit; false
    /// when it does now, or the job was not running.
    /// </summary>
    public Task<bool> PauseAtAccountLimitAsync(Guid jobId, string reason, decimal neededUsd, CancellationToken cancellationToken) =>
        PauseAsync(PauseAtAccountLimitSql, jobId, reason, neededUsd, cancellationToken);

    private async Task<bool> PauseAsync(string sql, Guid jobId, string reason, decimal neededUsd, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = reason });
        command.Parameters.Add(new() { Value = neededUsd });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }
}

using Npgsql;

namespace Batch.Data.Spending;

/// <summary>
/// Jobs paused at their account's monthly cost limit go on by themselves once the row that did not fit fits again:
/// the month turned (UTC), so this month's spend starts from zero, or the limit was raised or removed.
/// </summary>
public static class AccountCapPauses
{
    // Pauses of jobs that left the paused state otherwise (resumed or canceled by a user) are dropped in passing.
    private const string ResumeSql = """
        WITH stale AS (
            DELETE FROM batch.account_cap_pauses p USING batch.jobs j
            WHERE j.id = p.job_id AND j.status <> 2),
        ready AS (
            DELETE FROM batch.account_cap_pauses p
            USING batch.provider_accounts a, batch.jobs j
            WHERE a.id = p.account_id AND j.id = p.job_id AND j.status = 2 AND ($1::uuid IS NULL OR a.id = $1)
              AND (a.monthly_cost_limit_usd IS NULL
                   OR coalesce((SELECT s.cost_usd FROM batch.account_monthly_spend s
                                WHERE s.account_id = a.id AND s.month = (date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC')::date), 0)
                      + p.needed_usd <= a.monthly_cost_limit_usd)
            RETURNING p.job_id)
        UPDATE batch.jobs j SET status = 0, status_reason = NULL, updated_at = now()
        FROM ready r
        WHERE j.id = r.job_id AND j.status = 2
        RETURNING j.id, j.name
        """;

    /// <summary>Queues the jobs (of one account, or of all) whose account now has room for them; returns them, to be started.</summary>
    public static async Task<List<(Guid Id, string Name)>> ResumeAsync(NpgsqlDataSource dataSource, Guid? accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ResumeSql);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)accountId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var resumed = new List<(Guid, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            resumed.Add((reader.GetGuid(0), reader.GetString(1)));
        }
        return resumed;
    }
}

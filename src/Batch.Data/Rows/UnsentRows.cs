using Batch.Data.Entities;
using Npgsql;

namespace Batch.Data.Rows;

/// <summary>
/// Ends the rows of a stopped job that were never sent: those still in uploaded blocks and those pending become
/// <see cref="RowStatus.Canceled"/> (cancel) or <see cref="RowStatus.Expired"/> (expiry), counted on the job in the
/// caller's transaction. Rows a worker holds are left for it: it records them, or gives them back in the same status.
/// </summary>
public static class UnsentRows
{
    /// <summary>Closes the job's unsent rows as <paramref name="status"/>; returns how many.</summary>
    public static async Task<int> CloseAsync(NpgsqlConnection connection, Guid jobId, RowStatus status, CancellationToken cancellationToken)
    {
        var counter = status switch
        {
            RowStatus.Canceled => "canceled_rows",
            RowStatus.Expired => "expired_rows",
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only canceled or expired ends a row that was never sent."),
        };
        // Blocks first (waiting for any block a worker is expanding, so its rows are visible to the next statement).
        var unclaimed = await JobInputBlocks.MaterializeAllAsync(connection, jobId, status, cancellationToken);
        await using var command = new NpgsqlCommand($"""
            WITH closed AS (
                UPDATE batch.job_rows SET status = $2, completed_at = now()
                WHERE job_id = $1 AND status = {(short)RowStatus.Pending}
                RETURNING 1),
            counted AS (
                UPDATE batch.jobs SET {counter} = {counter} + $3 + (SELECT count(*) FROM closed), updated_at = now() WHERE id = $1
                RETURNING {counter})
            SELECT $3 + (SELECT count(*) FROM closed)::int
            """, connection);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = (short)status });
        command.Parameters.Add(new() { Value = unclaimed });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}

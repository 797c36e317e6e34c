using Batch.Budgets;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Fails fast: when a job's first <see cref="WorkerOptions.FailFastRows"/> recorded rows (in the order the database recorded
/// them, whichever process sent them) all failed with one and the same error that every row would meet (a model the
/// server does not know, a request it refuses for a field the rows share, a permission it lacks), the job is paused with
/// that error as its reason instead of sending the rest of the file. The look happens once per job, marked on the job in
/// the statement that pauses it, so whoever reads the mark reads the pause too, and a job resumed after it goes on.
/// </summary>
internal sealed class FirstRowsCheck(NpgsqlDataSource dataSource, JobTransitions transitions, IOptions<WorkerOptions> options, TimeProvider time)
{
    private static readonly string[] SharedErrorTypes = ["not_found_error", "invalid_request_error", "permission_error"];

    // The first rows by the database's record order: exactly one kind of error among them, of a type that comes from the spec?
    private const string VerdictSql = """
        WITH first AS (
            SELECT status, error_type, error_message FROM batch.job_rows
            WHERE job_id = $1 AND status IN (2, 3) ORDER BY completed_at, seq LIMIT $2)
        SELECT bool_and(status = 3) AND count(DISTINCT (error_type, error_message)) = 1 AND min(error_type) = ANY($3),
               min(error_type), min(error_message)
        FROM first
        HAVING count(*) >= $2
        """;

    private const string PauseSql = """
        UPDATE batch.jobs SET first_rows_checked = true, status = 2, status_reason = $2, updated_at = now()
        WHERE id = $1 AND NOT first_rows_checked AND status IN (0, 1)
        RETURNING *
        """;

    // Jobs this process knows are past the look, so their later failures cost no round trip.
    private readonly RunningJobsMap<bool> _looked = new(time);

    public int Rows => options.Value.FailFastRows;

    /// <summary>Whether a row's error could be one every row of its job meets.</summary>
    public static bool MayBeShared(string? errorType) => errorType is not null && SharedErrorTypes.Contains(errorType);

    /// <summary>
    /// Looks at the job's first rows once enough are recorded, unless the look was made: pauses the job when they all failed
    /// alike. True when this call paused it.
    /// </summary>
    public async Task<bool> PauseIfFirstRowsFailedAsync(Guid jobId, CancellationToken cancellationToken)
    {
        if (Rows <= 0 || _looked.ContainsKey(jobId))
        {
            return false;
        }
        await using (var progress = dataSource.CreateCommand("SELECT first_rows_checked, succeeded_rows + failed_rows FROM batch.jobs WHERE id = $1"))
        {
            progress.Parameters.Add(new() { Value = jobId });
            await using var reader = await progress.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || reader.GetBoolean(0))
            {
                _looked.GetOrAdd(jobId, static _ => true);
                return false;
            }
            if (reader.GetInt32(1) < Rows)
            {
                return false;
            }
        }

        string? reason = null;
        await using (var verdict = dataSource.CreateCommand(VerdictSql))
        {
            verdict.Parameters.Add(new() { Value = jobId });
            verdict.Parameters.Add(new() { Value = Rows });
            verdict.Parameters.Add(new() { Value = SharedErrorTypes });
            await using var reader = await verdict.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }
            if (reader.GetBoolean(0))
            {
                reason = $"Paused before sending the rest: the first {Rows} rows all failed with the same error, {reader.GetString(1)}: " +
                    $"{(reader.IsDBNull(2) ? "" : reader.GetString(2))}. Every other row would most likely fail the same way. " +
                    "Fix the spec (the model's name, a parameter) and upload the file again, or resume to send the remaining rows anyway.";
            }
        }
        _looked.GetOrAdd(jobId, static _ => true);
        if (reason is null)
        {
            await using var mark = dataSource.CreateCommand("UPDATE batch.jobs SET first_rows_checked = true WHERE id = $1 AND NOT first_rows_checked");
            mark.Parameters.Add(new() { Value = jobId });
            await mark.ExecuteNonQueryAsync(cancellationToken);
            return false;
        }
        // Another process may have made the look first: then this changes nothing, and that process paused the job.
        return await transitions.ApplyAsync(jobId, PauseSql, cancellationToken, jobId, reason) is not null;
    }
}

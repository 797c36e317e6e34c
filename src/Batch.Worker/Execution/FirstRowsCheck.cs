using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Fails fast: when a job's first <see cref="WorkerOptions.FailFastRows"/> recorded rows (in the order the database recorded
/// them, whichever process sent them) all failed with one and the same error that every row would meet (a model the
/// server does not know, a request it refuses for a field the rows share, a permission it lacks), the job is paused with
/// that error as its reason instead of sending the rest of the file. The look happens once per job, marked on the job, so
/// a job resumed after it goes on.
/// </summary>
internal sealed class FirstRowsCheck(NpgsqlDataSource dataSource, IOptions<WorkerOptions> options)
{
    private static readonly string[] SharedErrorTypes = ["not_found_error", "invalid_request_error", "permission_error"];

    // The first rows by the database's record order; exactly one kind of error among them, of a type that comes from the spec.
    private const string DecideSql = """
        WITH first AS (
            SELECT status, error_type, error_message FROM batch.job_rows
            WHERE job_id = $1 AND status IN (2, 3) ORDER BY completed_at, seq LIMIT $2),
        verdict AS (
            SELECT count(*) AS n, bool_and(status = 3) AS all_failed, count(DISTINCT (error_type, error_message)) AS kinds,
                   min(error_type) AS error_type, min(error_message) AS error_message
            FROM first)
        UPDATE batch.jobs j SET first_rows_checked = true
        FROM verdict v
        WHERE j.id = $1 AND NOT j.first_rows_checked AND v.n >= $2
        RETURNING v.all_failed AND v.kinds = 1 AND v.error_type = ANY($3), v.error_type, v.error_message
        """;

    // Jobs this process knows are past the look, so their later failures cost no round trip.
    private readonly ConcurrentDictionary<Guid, bool> _looked = new();

    /// <summary>Whether a row's error could be one every row of its job meets.</summary>
    public static bool MayBeShared(string? errorType) => errorType is not null && SharedErrorTypes.Contains(errorType);

    /// <summary>After a row failed with such an error: the reason to pause the job with, or null to go on.</summary>
    public async Task<string?> ReasonToPauseAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var rows = options.Value.FailFastRows;
        if (rows <= 0 || _looked.ContainsKey(jobId))
        {
            return null;
        }
        await using (var progress = dataSource.CreateCommand("SELECT first_rows_checked, succeeded_rows + failed_rows FROM batch.jobs WHERE id = $1"))
        {
            progress.Parameters.Add(new() { Value = jobId });
            await using var reader = await progress.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || reader.GetBoolean(0))
            {
                _looked.TryAdd(jobId, true);
                return null;
            }
            if (reader.GetInt32(1) < rows)
            {
                return null;
            }
        }

        await using var decide = dataSource.CreateCommand(DecideSql);
        decide.Parameters.Add(new() { Value = jobId });
        decide.Parameters.Add(new() { Value = rows });
        decide.Parameters.Add(new() { Value = SharedErrorTypes });
        await using var verdict = await decide.ExecuteReaderAsync(cancellationToken);
        if (!await verdict.ReadAsync(cancellationToken))
        {
            // Another process made the look first (or too few rows are recorded yet, when this one looks again later).
            return null;
        }
        _looked.TryAdd(jobId, true);
        return verdict.GetBoolean(0)
            ? $"Paused before sending the rest: the first {rows} rows all failed with the same error, {verdict.GetString(1)}: " +
              $"{(verdict.IsDBNull(2) ? "" : verdict.GetString(2))}. Every other row would most likely fail the same way. " +
              "Fix the spec (the model's name, a parameter) and upload the file again, or resume to send the remaining rows anyway."
            : null;
    }
}

using Batch.Api.Authentication;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Hangfire;
using Npgsql;

namespace Batch.Api.Jobs;

/// <summary>The outcome of a lifecycle action: done, no such job for this caller, or refused in the job's current state.</summary>
public sealed record JobActionOutcome(bool Found, bool Done, string? Reason)
{
    public static readonly JobActionOutcome Success = new(true, true, null);
    public static readonly JobActionOutcome Missing = new(false, false, null);

    public static JobActionOutcome Refused(string reason) => new(true, false, reason);
}

/// <summary>
/// Cancel, pause, resume, retry-failed and delete. Each is one conditional UPDATE on the job's status (plus
/// its rows in the same transaction), so it cannot race a worker that moves the job from queued to running or
/// from running to completed: whichever commits second sees the other's status and does nothing.
/// </summary>
public sealed class JobActions(NpgsqlDataSource dataSource, IBackgroundJobClient backgroundJobs, TimeProvider time)
{
    private const string Visible = "id = @id AND (@admin OR project = @project)";

    public async Task<JobActionOutcome> CancelAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await ExecuteAsync(connection, $"""
            UPDATE batch.jobs SET status = {(short)JobStatus.Canceled}, status_reason = 'Canceled by a user.', finished_at = @now, updated_at = @now
            WHERE {Visible} AND status IN ({(short)JobStatus.Queued}, {(short)JobStatus.Running}, {(short)JobStatus.Paused})
            """, id, caller, cancellationToken);
        if (changed == 0)
        {
            return await RefuseAsync(connection, id, caller, status => $"The job is {Name(status)}; only queued, running or paused jobs can be canceled.", cancellationToken);
        }
        // Rows a worker holds are left for it to record.
        await UnsentRows.CloseAsync(connection, id, RowStatus.Canceled, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await WakeProviderBatchesAsync(connection, id, caller, cancellationToken);
        return JobActionOutcome.Success;
    }

    public async Task<JobActionOutcome> PauseAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await ExecuteAsync(connection, $"""
            UPDATE batch.jobs SET status = {(short)JobStatus.Paused}, status_reason = 'Paused by a user.', updated_at = @now
            WHERE {Visible} AND status IN ({(short)JobStatus.Queued}, {(short)JobStatus.Running})
            """, id, caller, cancellationToken);
        if (changed == 0)
        {
            return await RefuseAsync(connection, id, caller, status => $"The job is {Name(status)}; only queued or running jobs can be paused.", cancellationToken);
        }
        await WakeProviderBatchesAsync(connection, id, caller, cancellationToken);
        return JobActionOutcome.Success;
    }

    /// <summary>
    /// A job with slices at the provider hears of its cancel or pause at once, not at its next poll: a tick now asks the
    /// provider to cancel them (their answered requests are still recorded; the rest go back, or are canceled).
    /// </summary>
    private async Task WakeProviderBatchesAsync(NpgsqlConnection connection, Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var name = await ReturnNameAsync(connection, $"""
            SELECT name FROM batch.jobs
            WHERE {Visible} AND EXISTS (SELECT 1 FROM batch.provider_batches b WHERE b.job_id = @id AND b.status IN (0, 1, 2))
            """, id, caller, cancellationToken);
        if (name is not null)
        {
            backgroundJobs.EnqueueProviderBatchWake(id, name);
        }
    }

    public async Task<JobActionOutcome> ResumeAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var resumed = await ReturnNameAsync(connection, $"""
            UPDATE batch.jobs SET status = {(short)JobStatus.Queued}, status_reason = NULL, updated_at = @now
            WHERE {Visible} AND status = {(short)JobStatus.Paused}
            RETURNING name
            """, id, caller, cancellationToken);
        if (resumed is null)
        {
            return await RefuseAsync(connection, id, caller, status => $"The job is {Name(status)}; only paused jobs can be resumed.", cancellationToken);
        }
        backgroundJobs.EnqueueStart(id, resumed);
        return JobActionOutcome.Success;
    }

    public async Task<JobActionOutcome> RetryFailedAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var retried = await ReturnNameAsync(connection, $"""
            UPDATE batch.jobs SET status = {(short)JobStatus.Queued}, status_reason = NULL, finished_at = NULL, updated_at = @now
            WHERE {Visible} AND status IN ({(short)JobStatus.Completed}, {(short)JobStatus.Failed}) AND failed_rows > 0
            RETURNING name
            """, id, caller, cancellationToken);
        if (retried is null)
        {
            return await RefuseAsync(connection, id, caller, status => status is JobStatus.Completed or JobStatus.Failed
                ? "The job has no failed rows to retry."
                : $"The job is {Name(status)}; failed rows can be retried once it has completed or failed.", cancellationToken);
        }
        // Failed rows go back to pending with their error cleared; tokens and cost already spent stay counted. No row is
        // failed any more, so the job's error counts start again.
        await ExecuteAsync(connection, $"""
            WITH retried AS (
                UPDATE batch.job_rows SET status = {(short)RowStatus.Pending}, attempts = 0, lease_token = NULL, lease_expires_at = NULL,
                    error_type = NULL, error_message = NULL, http_status = NULL, completed_at = NULL
                WHERE job_id = @id AND status = {(short)RowStatus.Failed}
                RETURNING 1),
            cleared AS (
                DELETE FROM batch.job_error_counts WHERE job_id = @id)
            UPDATE batch.jobs SET failed_rows = failed_rows - (SELECT count(*) FROM retried) WHERE id = @id
            """, id, caller, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        backgroundJobs.EnqueueStart(id, retried);
        return JobActionOutcome.Success;
    }

    public async Task<JobActionOutcome> DeleteAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var deleted = await ExecuteAsync(connection, $"""
                DELETE FROM batch.jobs
                WHERE {Visible} AND status IN ({(short)JobStatus.Completed}, {(short)JobStatus.Failed}, {(short)JobStatus.Canceled}, {(short)JobStatus.Expired})
                """, id, caller, cancellationToken);
            return deleted == 1
                ? JobActionOutcome.Success
                : await RefuseAsync(connection, id, caller, status => $"The job is {Name(status)}; only completed, failed, canceled or expired jobs can be deleted. Cancel it first.", cancellationToken);
        }
        catch (PostgresException used) when (used.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return JobActionOutcome.Refused("A schedule re-runs this job; delete the schedule first.");
        }
    }

    /// <summary>Sets (or, with null, removes) the job's spend cap; false when the caller sees no such job.</summary>
    public async Task<bool> SetMaxCostAsync(Guid id, Caller caller, decimal? maxCostUsd, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"UPDATE batch.jobs SET max_cost_usd = @cap, updated_at = @now WHERE {Visible}", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("admin", caller.IsAdmin);
        command.Parameters.AddWithValue("project", caller.Project);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        command.Parameters.AddWithValue("cap", NpgsqlTypes.NpgsqlDbType.Numeric, (object?)maxCostUsd ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Lowercase, as the API spells statuses.</summary>
    public static string Name(JobStatus status) => status.ToString().ToLowerInvariant();

    private async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, id, caller);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs an UPDATE ... RETURNING name: the job's name when it changed, null when it did not.</summary>
    private async Task<string?> ReturnNameAsync(NpgsqlConnection connection, string sql, Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, id, caller);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, string sql, Guid id, Caller caller)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("admin", caller.IsAdmin);
        command.Parameters.AddWithValue("project", caller.Project);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        return command;
    }

    private static async Task<JobActionOutcome> RefuseAsync(NpgsqlConnection connection, Guid id, Caller caller, Func<JobStatus, string> reason, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT status FROM batch.jobs WHERE {Visible}", connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("admin", caller.IsAdmin);
        command.Parameters.AddWithValue("project", caller.Project);
        return await command.ExecuteScalarAsync(cancellationToken) is short status
            ? JobActionOutcome.Refused(reason((JobStatus)status))
            : JobActionOutcome.Missing;
    }
}

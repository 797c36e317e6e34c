using Batch.Api.Authentication;
using Batch.Data.Entities;
using Batch.Data.Retention;
using Batch.Data.Rows;
using Batch.Data.Webhooks;
using Batch.Jobs;
using Hangfire;
using Hangfire.States;
using Npgsql;

namespace Batch.Api.Jobs;

/// <summary>The outcome of a lifecycle action: done, no such job for this caller, or refused in the job's current state.</summary>
public sealed record JobActionOutcome(bool Found, bool Done, string? Reason)
{
    public static readonly JobActionOutcome Success = new(true, true, null);
    public static readonly JobActionOutcome Missing = new(false, false, null);

    /// <summary>Accepted: the rest happens in the background.</summary>
    public static readonly JobActionOutcome Background = new(true, true, null) { InBackground = true };

    public bool InBackground { get; init; }

    public static JobActionOutcome Refused(string reason) => new(true, false, reason);
}

/// <summary>
/// Cancel, pause, resume, retry-failed and delete. Each is one conditional UPDATE on the job's status (plus
/// its rows in the same transaction), so it cannot race a worker that moves the job from queued to running or
/// from running to completed: whichever commits second sees the other's status and does nothing.
/// </summary>
public sealed partial class JobActions(NpgsqlDataSource dataSource, IBackgroundJobClient backgroundJobs, TimeProvider time, ILogger<JobActions> logger)
{
    private const string Visible = "id = @id AND deleted_at IS NULL AND (@admin OR project = @project)";

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
        // The webhook carries the counts as the cancel left them, so it is recorded last, in the same transaction.
        var (name, events) = await RecordTransitionAsync(connection, "SELECT * FROM batch.jobs WHERE id = @id", id, caller, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await WakeProviderBatchesAsync(connection, id, caller, cancellationToken);
        LogCanceled(logger, id, name);
        backgroundJobs.EnqueueWebhooks(events, $"job.canceled of '{name}'");
        return JobActionOutcome.Success;
    }

    public async Task<JobActionOutcome> PauseAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var (name, events) = await RecordTransitionAsync(connection, $"""
            UPDATE batch.jobs SET status = {(short)JobStatus.Paused}, status_reason = 'Paused by a user.', updated_at = @now
            WHERE {Visible} AND status IN ({(short)JobStatus.Queued}, {(short)JobStatus.Running})
            RETURNING *
            """, id, caller, cancellationToken);
        if (name is null)
        {
            return await RefuseAsync(connection, id, caller, status => $"The job is {Name(status)}; only queued or running jobs can be paused.", cancellationToken);
        }
        LogPaused(logger, id, name);
        await WakeProviderBatchesAsync(connection, id, caller, cancellationToken);
        backgroundJobs.EnqueueWebhooks(events, $"job.paused of '{name}'");
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

    /// <summary>
    /// Marks a finished job deleted (gone for the API at once), then deletes it in batches: now when it is small, else in the
    /// background (<see cref="JobActionOutcome.InBackground"/>). Its spend stays in the cost reports.
    /// </summary>
    public async Task<JobActionOutcome> DeleteAsync(Guid id, Caller caller, RetentionOptions retention, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, $"""
            UPDATE batch.jobs SET deleted_at = @now, updated_at = @now
            WHERE {Visible} AND status IN ({(short)JobStatus.Completed}, {(short)JobStatus.Failed}, {(short)JobStatus.Canceled}, {(short)JobStatus.Expired})
              AND NOT EXISTS (SELECT 1 FROM batch.job_schedules s WHERE s.source_job_id = @id)
            RETURNING name, row_count
            """, id, caller);
        string? name = null;
        var rows = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                (name, rows) = (reader.GetString(0), reader.GetInt32(1));
            }
        }
        if (name is null)
        {
            return await RefuseAsync(connection, id, caller, status => status is JobStatus.Completed or JobStatus.Failed or JobStatus.Canceled or JobStatus.Expired
                ? "A schedule re-runs this job; delete the schedule first."
                : $"The job is {Name(status)}; only completed, failed, canceled or expired jobs can be deleted. Cancel it first.", cancellationToken);
        }
        if (rows > retention.InlineDeleteRows)
        {
            backgroundJobs.Create<IRetentionRunner>(runner => runner.DeleteJobAsync(id, name, CancellationToken.None), new EnqueuedState(BatchQueues.Control));
            return JobActionOutcome.Background;
        }
        await JobDeletion.DeleteAsync(dataSource, id, retention.BatchRows, onBatch: null, cancellationToken);
        return JobActionOutcome.Success;
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

    /// <summary>
    /// Runs <paramref name="changed"/> (a statement yielding the job's row, all columns, once its status has changed) and records
    /// the job's webhook in the same statement; the job's name, or null when nothing changed, and the webhook events to enqueue.
    /// </summary>
    private async Task<(string? Name, Guid[] Events)> RecordTransitionAsync(
        NpgsqlConnection connection, string changed, Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"""
            WITH changed AS ({changed}),
            events AS ({WebhookEvents.RecordFor("changed")})
            SELECT c.name, ARRAY(SELECT id FROM events) FROM changed c
            """, id, caller);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetFieldValue<Guid[]>(1)) : (null, []);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' canceled by a user")]
    private static partial void LogCanceled(ILogger logger, Guid jobId, string? jobName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' paused by a user")]
    private static partial void LogPaused(ILogger logger, Guid jobId, string jobName);

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

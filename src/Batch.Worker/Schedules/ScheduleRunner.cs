using System.Globalization;
using Batch.Data.Entities;
using Batch.Jobs;
using Hangfire;
using Hangfire.Server;
using Npgsql;

namespace Batch.Worker.Schedules;

/// <summary>
/// One firing of a schedule: in one transaction, copies the source job's spec and rows into a new queued job
/// and records it on the schedule, then enqueues the new job's start on the control queue.
/// </summary>
/// <remarks>
/// A firing is recognised by the schedule's row, locked for the transaction so two executions cannot interleave:
/// <list type="bullet">
/// <item>a run already recorded in the current minute means this is the same firing again (a Hangfire retry or a
/// second trigger within the minute; schedules have minute resolution), so nothing happens;</item>
/// <item>a previous run whose job has not been picked up yet (queued, never started) gets its start enqueued again
/// instead of a second copy: this covers a retry after the start failed to enqueue, however late it comes, and
/// keeps firings from piling up copies while no worker is taking jobs.</item>
/// </list>
/// </remarks>
public sealed partial class ScheduleRunner(
    NpgsqlDataSource dataSource,
    IBackgroundJobClient backgroundJobs,
    IRecurringJobManager recurringJobs,
    TimeProvider time,
    ILogger<ScheduleRunner> logger) : IScheduleRunner
{
    private const int MaxJobName = 200;
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm'Z'";

    private static readonly string LockScheduleSql = $"""
        SELECT s.name, s.enabled, s.last_run_at, s.last_job_id, s.source_job_id, source.id IS NOT NULL,
               last.status = {(short)JobStatus.Queued} AND last.started_at IS NULL, last.name
        FROM batch.job_schedules s
        LEFT JOIN batch.jobs source ON source.id = s.source_job_id
        LEFT JOIN batch.jobs last ON last.id = s.last_job_id
        WHERE s.id = $1
        FOR UPDATE OF s
        """;

    // Spec columns as the source has them; status, counters and timestamps as a fresh upload has them.
    // A deadline given as a duration counts from the copy's creation; a fixed time is the source's alone. The delivery the
    // source was given (auto's choice included) and why carry over; a source switched to messages mid-way goes as it was asked.
    private static readonly string CopyJobSql = $"""
        INSERT INTO batch.jobs (id, project, name, status, status_reason, account_id, model, system_prompt, user_template, max_tokens,
            max_cost_usd, default_params, cache_ttl, priority, row_format, columns, id_column, notes, first_rows_checked, cache_note, idempotency_key,
            schedule_id, schedule_firing_id, webhook_url, created_by_key_id, row_count,
            succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
            output_tokens, cost_usd, created_at, started_at, finished_at, updated_at,
            delivery_requested, delivery, delivery_reason, deadline_at, deadline_after, output_schema, output_mode, schema_retries)
        SELECT $1, project, $2, {(short)JobStatus.Queued}, NULL, account_id, model, system_prompt, user_template, max_tokens,
            max_cost_usd, default_params, cache_ttl, priority, row_format, columns, id_column, notes, false, NULL, NULL,
            $3, $6::text, webhook_url, NULL, row_count,
            0, 0, 0, 0, 0, 0, 0,
            0, 0, $4, NULL, NULL, $4,
            delivery_requested,
            CASE WHEN delivery_requested = {(short)Delivery.Messages} THEN {(short)Delivery.Messages}
                 WHEN delivery_requested = {(short)Delivery.ProviderBatch} THEN {(short)Delivery.ProviderBatch} ELSE delivery END,
            delivery_reason, $4 + deadline_after, deadline_after,
            output_schema, output_mode, schema_retries
        FROM batch.jobs WHERE id = $5
        """;

    // Inputs only: every outcome column starts empty, as after an upload. Rows and the source's blocks not yet
    // expanded are copied in one statement, so a block a worker expands meanwhile is copied exactly once.
    private static readonly string CopyRowsSql = $"""
        WITH rows AS (
            INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, lease_token, lease_expires_at,
                input_tokens, cache_write5m_tokens, cache_write1h_tokens, cache_read_tokens, output_tokens)
            SELECT $1, seq, custom_id, input, {(short)RowStatus.Pending}, 0, NULL, NULL, 0, 0, 0, 0, 0
            FROM batch.job_rows WHERE job_id = $2
            RETURNING 1),
        blocks AS (
            INSERT INTO batch.job_input_blocks (job_id, first_seq, row_count, rows)
            SELECT $1, first_seq, row_count, rows FROM batch.job_input_blocks WHERE job_id = $2
            RETURNING row_count)
        SELECT (SELECT count(*) FROM rows) + (SELECT coalesce(sum(row_count), 0) FROM blocks)
        """;

    private const string RecordRunSql = "UPDATE batch.job_schedules SET last_run_at = $2, last_job_id = $3 WHERE id = $1";

    // The job this firing created before, if it got that far: a retry after a crash starts it instead of copying again.
    private static readonly string FiringJobSql = $"""
        SELECT id, name, status = {(short)JobStatus.Queued} AND started_at IS NULL FROM batch.jobs WHERE schedule_firing_id = $1
        """;

    public Task RunAsync(Guid scheduleId, string scheduleName, PerformContext? firing, CancellationToken cancellationToken) =>
        FireAsync(scheduleId, firing?.BackgroundJob.Id, cancellationToken);

    /// <param name="firingId">The Hangfire job id of this firing: a retry has the same one. Null: none known (a direct call).</param>
    internal async Task FireAsync(Guid scheduleId, string? firingId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Guid jobToStart;
        string jobName;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var schedule = await LockAsync(connection, scheduleId, cancellationToken);
            if (firingId is not null && await FindFiringJobAsync(connection, firingId, cancellationToken) is { } earlier)
            {
                LogRetriedFiring(logger, scheduleId, firingId, earlier.Id);
                jobToStart = earlier.Waiting ? earlier.Id : Guid.Empty;
                jobName = earlier.Name;
            }
            else if (Skip(scheduleId, schedule, now) is { } skipped)
            {
                jobToStart = skipped;
                jobName = schedule?.LastJobName ?? "";
            }
            else
            {
                var found = schedule!;
                jobToStart = Guid.CreateVersion7(now);
                jobName = JobName(found.Name, now);
                await ExecuteAsync(connection, CopyJobSql, cancellationToken, jobToStart, jobName, scheduleId, now, found.SourceJobId, (object?)firingId ?? DBNull.Value);
                long rows;
                await using (var copyRows = new NpgsqlCommand(CopyRowsSql, connection) { Parameters = { new() { Value = jobToStart }, new() { Value = found.SourceJobId } } })
                {
                    rows = (long)(await copyRows.ExecuteScalarAsync(cancellationToken))!;
                }
                await ExecuteAsync(connection, RecordRunSql, cancellationToken, scheduleId, now, jobToStart);
                LogCreated(logger, scheduleId, jobToStart, found.SourceJobId, rows);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        if (jobToStart != Guid.Empty)
        {
            backgroundJobs.EnqueueStart(jobToStart, jobName);
        }
    }

    /// <summary>Why this firing creates no job: <see cref="Guid.Empty"/> to do nothing, or the previous run's job to start again; null to run.</summary>
    private Guid? Skip(Guid scheduleId, LockedSchedule? schedule, DateTimeOffset now)
    {
        switch (schedule)
        {
            case null:
                LogScheduleGone(logger, scheduleId);
                recurringJobs.RemoveIfExists(ScheduleCron.RecurringJobId(scheduleId));
                return Guid.Empty;
            case { Enabled: false }:
                LogDisabled(logger, scheduleId);
                return Guid.Empty;
            case { SourceExists: false }:
                LogSourceGone(logger, scheduleId, schedule.SourceJobId);
                return Guid.Empty;
            case { LastRunAt: { } last } when Minute(last) == Minute(now):
                LogSameFiring(logger, scheduleId, last, schedule.LastJobId);
                return Guid.Empty;
            case { LastJobId: { } waiting, LastJobWaiting: true }:
                LogStillWaiting(logger, scheduleId, waiting);
                return waiting;
            default:
                return null;
        }
    }

    private static async Task<LockedSchedule?> LockAsync(NpgsqlConnection connection, Guid scheduleId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(LockScheduleSql, connection);
        command.Parameters.Add(new() { Value = scheduleId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new LockedSchedule(
            reader.GetString(0),
            reader.GetBoolean(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
            reader.IsDBNull(3) ? null : reader.GetGuid(3),
            reader.GetGuid(4),
            reader.GetBoolean(5),
            !reader.IsDBNull(6) && reader.GetBoolean(6),
            reader.IsDBNull(7) ? null : reader.GetString(7));
    }

    private static async Task<(Guid Id, string Name, bool Waiting)?> FindFiringJobAsync(NpgsqlConnection connection, string firingId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(FiringJobSql, connection);
        command.Parameters.Add(new() { Value = firingId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2)) : null;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>"{schedule name} {UTC minute}", the name cut so the whole fits the column.</summary>
    private static string JobName(string scheduleName, DateTimeOffset now)
    {
        var stamp = now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);
        var room = MaxJobName - stamp.Length - 1;
        return $"{(scheduleName.Length > room ? scheduleName[..room] : scheduleName)} {stamp}";
    }

    private static DateTimeOffset Minute(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    private sealed record LockedSchedule(
        string Name, bool Enabled, DateTimeOffset? LastRunAt, Guid? LastJobId, Guid SourceJobId, bool SourceExists, bool LastJobWaiting, string? LastJobName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId} created job {JobId} from job {SourceJobId} with {Rows} rows")]
    private static partial void LogCreated(ILogger logger, Guid scheduleId, Guid jobId, Guid sourceJobId, long rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId}'s firing {FiringId} ran before and created job {JobId}: starting that one if it has not started, copying nothing")]
    private static partial void LogRetriedFiring(ILogger logger, Guid scheduleId, string firingId, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId} no longer exists: removing its recurring job")]
    private static partial void LogScheduleGone(ILogger logger, Guid scheduleId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId} is disabled: nothing to run")]
    private static partial void LogDisabled(ILogger logger, Guid scheduleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId} has no source job {SourceJobId} any more: nothing to copy")]
    private static partial void LogSourceGone(ILogger logger, Guid scheduleId, Guid sourceJobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId} ran at {LastRunAt} (job {JobId}), in this minute: this firing ran already")]
    private static partial void LogSameFiring(ILogger logger, Guid scheduleId, DateTimeOffset lastRunAt, Guid? jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId}'s previous job {JobId} has not started yet: starting it again instead of adding a copy")]
    private static partial void LogStillWaiting(ILogger logger, Guid scheduleId, Guid jobId);
}

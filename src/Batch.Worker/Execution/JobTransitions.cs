using System.Globalization;
using Batch.Data.Entities;
using Batch.Data.Webhooks;
using Batch.Jobs;
using Hangfire;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>What a job moved to, with the figures its log line and webhook carry.</summary>
internal sealed record JobTransition(
    JobStatus Status, string Name, string? Reason, int Succeeded, int Failed, int Canceled, long InputTokens, long OutputTokens, decimal CostUsd,
    TimeSpan? RunTime);

/// <summary>
/// Runs a worker's conditional status change of a job (paused, completed, failed) together with the webhook it owes
/// (<see cref="WebhookEvents"/>, in the same statement), then logs the one line a transition gets and enqueues the
/// webhook's delivery. Should this process die before enqueuing, the webhook sweep finds the recorded event.
/// </summary>
internal sealed partial class JobTransitions(NpgsqlDataSource dataSource, IBackgroundJobClient jobs, ILogger<JobTransitions> logger)
{
    /// <param name="update">An <c>UPDATE batch.jobs ... RETURNING *</c> that changes one job's status, or none.</param>
    /// <returns>Null when the update changed nothing (the job was in another state).</returns>
    public async Task<JobTransition?> ApplyAsync(Guid jobId, string update, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH changed AS ({update}),
            events AS ({WebhookEvents.RecordFor("changed")})
            SELECT c.status, c.name, c.status_reason, c.succeeded_rows, c.failed_rows, c.canceled_rows,
                   c.input_tokens + c.cache_write_5m_tokens + c.cache_write_1h_tokens + c.cache_read_tokens, c.output_tokens, c.cost_usd,
                   c.finished_at - c.started_at, ARRAY(SELECT id FROM events)
            FROM changed c
            """);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }
        JobTransition transition;
        Guid[] events;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            transition = new JobTransition((JobStatus)reader.GetInt16(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetDecimal(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<TimeSpan>(9));
            events = reader.GetFieldValue<Guid[]>(10);
        }
        Log(jobId, transition);
        jobs.EnqueueWebhooks(events, $"job.{transition.Status.ToString().ToLowerInvariant()} of '{transition.Name}'");
        return transition;
    }

    private void Log(Guid jobId, JobTransition t)
    {
        var cost = t.CostUsd.ToString("0.######", CultureInfo.InvariantCulture);
        switch (t.Status)
        {
            case JobStatus.Paused:
                LogPaused(logger, jobId, t.Name, t.Succeeded, t.Failed, cost, t.Reason);
                break;
            case JobStatus.Completed:
                LogEnded(logger, jobId, t.Name, "completed", t.Succeeded, t.Failed, t.Canceled, t.InputTokens, t.OutputTokens, cost, t.RunTime?.TotalSeconds ?? 0);
                break;
            default:
                LogFailed(logger, jobId, t.Name, t.Status.ToString().ToLowerInvariant(), t.Succeeded, t.Failed, t.Canceled, cost, t.Reason);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' paused ({Succeeded} succeeded, {Failed} failed so far, {CostUsd} USD): {Reason}")]
    private static partial void LogPaused(ILogger logger, Guid jobId, string jobName, int succeeded, int failed, string costUsd, string? reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId} '{JobName}' {Status}: {Succeeded} succeeded, {Failed} failed, {Canceled} canceled; {InputTokens} input and {OutputTokens} output tokens, {CostUsd} USD, in {Seconds:0.#} s")]
    private static partial void LogEnded(ILogger logger, Guid jobId, string jobName, string status, int succeeded, int failed, int canceled,
        long inputTokens, long outputTokens, string costUsd, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} '{JobName}' {Status}: {Succeeded} succeeded, {Failed} failed, {Canceled} canceled, {CostUsd} USD: {Reason}")]
    private static partial void LogFailed(ILogger logger, Guid jobId, string jobName, string status, int succeeded, int failed, int canceled, string costUsd, string? reason);
}

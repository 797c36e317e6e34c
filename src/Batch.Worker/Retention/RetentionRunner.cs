using Batch.Data.Entities;
using Batch.Data.Retention;
using Batch.Jobs;
using Batch.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.Retention;

/// <summary>
/// Deletes jobs that ended more than their project's retention (<c>project_settings.retention_days</c>, else
/// <see cref="RetentionOptions.Days"/>) ago, and jobs deleted through the API, in batches (<see cref="JobDeletion"/>).
/// A job that a schedule re-runs is kept while the schedule exists.
/// </summary>
internal sealed partial class RetentionRunner(
    NpgsqlDataSource dataSource, IOptionsMonitor<RetentionOptions> options, BatchMetrics metrics, ILogger<RetentionRunner> logger) : IRetentionRunner
{
    private const int JobsPerRun = 100;

    private static readonly string ExpiredSql = $"""
        SELECT j.id FROM batch.jobs j LEFT JOIN batch.project_settings p ON p.project = j.project
        WHERE (j.deleted_at IS NOT NULL AND j.deleted_at < now() - interval '10 minutes')
           OR ($1 > 0 AND j.status IN ({(short)JobStatus.Completed}, {(short)JobStatus.Failed}, {(short)JobStatus.Canceled}, {(short)JobStatus.Expired})
               AND j.finished_at < now() - make_interval(days => coalesce(p.retention_days, $1))
               AND NOT EXISTS (SELECT 1 FROM batch.job_schedules s WHERE s.source_job_id = j.id))
        ORDER BY j.finished_at NULLS FIRST LIMIT $2
        """;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var expired = new List<Guid>();
        await using (var command = dataSource.CreateCommand(ExpiredSql))
        {
            command.Parameters.Add(new() { Value = settings.Days });
            command.Parameters.Add(new() { Value = JobsPerRun });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                expired.Add(reader.GetGuid(0));
            }
        }
        long rows = 0;
        foreach (var jobId in expired)
        {
            rows += await JobDeletion.DeleteAsync(dataSource, jobId, settings.BatchRows, metrics.RowsDeleted, cancellationToken);
        }
        if (expired.Count > 0)
        {
            LogDeleted(logger, expired.Count, rows, settings.Days);
        }
    }

    public async Task DeleteJobAsync(Guid jobId, string jobName, CancellationToken cancellationToken)
    {
        await using (var command = dataSource.CreateCommand("SELECT deleted_at IS NOT NULL FROM batch.jobs WHERE id = $1"))
        {
            command.Parameters.Add(new() { Value = jobId });
            // Only a job the API marked deleted: an id alone never deletes a live job.
            if (await command.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return;
            }
        }
        var rows = await JobDeletion.DeleteAsync(dataSource, jobId, options.CurrentValue.BatchRows, metrics.RowsDeleted, cancellationToken);
        LogJobDeleted(logger, jobId, jobName, rows);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Jobs} jobs ({Rows} rows) that ended more than their retention ago (default {Days} days)")]
    private static partial void LogDeleted(ILogger logger, int jobs, long rows, int days);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} '{JobName}' deleted: {Rows} rows")]
    private static partial void LogJobDeleted(ILogger logger, Guid jobId, string jobName, long rows);
}

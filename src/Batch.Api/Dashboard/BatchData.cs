using Batch.Api.Jobs;
using Batch.Api.Reports;
using Batch.Data;
using Batch.Data.Entities;
using Hangfire.Dashboard;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Batch.Api.Dashboard;

/// <summary>The parts of a job's spec the batch page shows (the rest of its answer is in <see cref="JobResponse"/>).</summary>
internal sealed record BatchSpec(string? SystemPrompt, string? Template, int MaxTokens, CacheTtl CacheTtl, RowFormat RowFormat, string DefaultParams, string? IdColumn);

/// <summary>A schedule that re-runs this batch, or the one that made it.</summary>
internal sealed record BatchSchedule(Guid Id, string Name, string Cron, string TimeZone, bool Enabled, DateTimeOffset? LastRunAt, bool MadeThisBatch);

internal sealed record BatchError(string Type, int Rows, string? Sample);

/// <summary>One of the latest recorded rows, its output and error already cut short by the database.</summary>
internal sealed record RecentResult(
    string CustomId, RowStatus Status, string? StopReason, long Input, long CacheWrite, long CacheRead, long Output, string? OutputText, string? ErrorType,
    string? Error, DateTimeOffset? CompletedAt);

/// <summary>What a batch's page shows: counters, pace, history, cost by kind, errors, latest results, spec and schedules.</summary>
internal sealed record BatchModel(
    JobResponse Job, BatchSpec Spec, double? RowsPerSecond, JobHistory History, JobCost? Cost, IReadOnlyList<BatchError> Errors,
    IReadOnlyList<RecentResult> Recent, IReadOnlyList<BatchSchedule> Schedules)
{
    public const int RecentRows = 20;
    private const int ShortText = 300;

    // Newest recorded first, from the index of recorded rows: 20 index entries, never the job's other rows.
    private static readonly string RecentSql = $"""
        SELECT custom_id, status, stop_reason, input_tokens, cache_write5m_tokens + cache_write1h_tokens, cache_read_tokens, output_tokens,
               left(output_text, {ShortText}), error_type, left(error_message, {ShortText}), completed_at
        FROM batch.job_rows WHERE job_id = $1 AND status IN ({(short)RowStatus.Succeeded}, {(short)RowStatus.Failed})
        ORDER BY completed_at DESC LIMIT {RecentRows}
        """;

    public static Guid? IdOf(DashboardContext context) => Guid.TryParse(context.UriMatch.Groups["id"].Value, out var id) ? id : null;

    public static async Task<BatchModel?> LoadAsync(DashboardContext context)
    {
        if (IdOf(context) is not { } id)
        {
            return null;
        }
        var caller = context.Caller();
        var cancellationToken = context.Aborted();
        if (await context.Service<JobStore>().GetAsync(id, caller, cancellationToken) is not { } job)
        {
            return null;
        }
        var db = context.Service<BatchDbContext>();
        var dataSource = context.Service<NpgsqlDataSource>();
        var spec = await db.Jobs.AsNoTracking().Where(j => j.Id == id)
            .Select(j => new { Spec = new BatchSpec(j.SystemPrompt, j.UserTemplate, j.MaxTokens, j.CacheTtl, j.RowFormat, j.DefaultParams, j.IdColumn), j.ScheduleId })
            .SingleAsync(cancellationToken);
        var schedules = await db.JobSchedules.AsNoTracking()
            .Where(s => s.SourceJobId == id || s.Id == spec.ScheduleId)
            .OrderBy(s => s.Name)
            .Select(s => new BatchSchedule(s.Id, s.Name, s.Cron, s.TimeZone, s.Enabled, s.LastRunAt, s.Id == spec.ScheduleId))
            .ToListAsync(cancellationToken);
        var errors = await db.JobErrorCounts.AsNoTracking().Where(e => e.JobId == id)
            .OrderByDescending(e => e.Rows).ThenBy(e => e.ErrorType)
            .Select(e => new BatchError(e.ErrorType, e.Rows, e.SampleMessage))
            .ToListAsync(cancellationToken);
        var pace = await JobMinutes.LastMinuteAsync(dataSource, [id], cancellationToken);
        var perSecond = RecentPace.PerSecond(pace.GetValueOrDefault(id), job.StartedAt, DateTimeOffset.UtcNow);
        var history = await JobMinutes.HistoryAsync(dataSource, id, cancellationToken);
        var cost = await context.Service<JobCosts>().ReadAsync(id, caller, cancellationToken);
        return new BatchModel(job, spec.Spec, perSecond, history, cost, errors, await RecentAsync(dataSource, id, cancellationToken), schedules);
    }

    private static async Task<List<RecentResult>> RecentAsync(NpgsqlDataSource dataSource, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RecentSql);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<RecentResult>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RecentResult(
                reader.GetString(0), (RowStatus)reader.GetInt16(1), Text(reader, 2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5),
                reader.GetInt32(6), Text(reader, 7), Text(reader, 8), Text(reader, 9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10)));
        }
        return rows;
    }

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}

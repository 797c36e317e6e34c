using Npgsql;

namespace Batch.Api.Dashboard;

/// <summary>
/// Reads the per-minute samples the result writer keeps for each job (<c>job_minutes</c>): a job's recent pace and its
/// whole history, never its rows.
/// </summary>
internal static class JobMinutes
{
    // The current minute and the one before: 60 to 120 seconds of rows, over the seconds they cover.
    private const string LastMinuteSql = """
        SELECT m.job_id, sum(m.succeeded_rows + m.failed_rows)::int,
               extract(epoch FROM now() - (date_trunc('minute', now(), 'UTC') - interval '1 minute'))::float8
        FROM batch.job_minutes m
        WHERE m.job_id = ANY($1) AND m.minute >= date_trunc('minute', now(), 'UTC') - interval '1 minute'
        GROUP BY m.job_id
        """;

    // Minutes grouped into buckets of $2 minutes, so a job of days still draws a few hundred points.
    private const string HistorySql = """
        SELECT date_bin(make_interval(mins => $2), m.minute, timestamptz '2000-01-01Z'), sum(m.succeeded_rows)::int, sum(m.failed_rows)::int,
               sum(m.input_tokens)::bigint, sum(m.cache_write_5m_tokens + m.cache_write_1h_tokens)::bigint, sum(m.cache_read_tokens)::bigint,
               sum(m.output_tokens)::bigint
        FROM batch.job_minutes m WHERE m.job_id = $1
        GROUP BY 1 ORDER BY 1
        """;

    private const string SpanSql = "SELECT min(minute), max(minute) FROM batch.job_minutes WHERE job_id = $1";

    /// <summary>Most points a history chart draws; longer histories are grouped into buckets of several minutes.</summary>
    public const int MaxPoints = 360;

    /// <summary>Rows recorded over the last minute or so by each job that recorded any, with the seconds that covers.</summary>
    public static async Task<Dictionary<Guid, RecentPace>> LastMinuteAsync(NpgsqlDataSource dataSource, Guid[] jobIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(LastMinuteSql);
        command.Parameters.Add(new NpgsqlParameter { Value = jobIds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var paces = new Dictionary<Guid, RecentPace>();
        while (await reader.ReadAsync(cancellationToken))
        {
            paces[reader.GetGuid(0)] = new RecentPace(reader.GetInt32(1), reader.GetDouble(2));
        }
        return paces;
    }

    /// <summary>The job's rows and tokens per bucket over its life; the bucket is a minute unless the life is long.</summary>
    public static async Task<JobHistory> HistoryAsync(NpgsqlDataSource dataSource, Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var span = new NpgsqlCommand(SpanSql, connection) { Parameters = { new() { Value = jobId } } };
        var minutes = 1;
        await using (var reader = await span.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0))
            {
                var length = (reader.GetFieldValue<DateTimeOffset>(1) - reader.GetFieldValue<DateTimeOffset>(0)).TotalMinutes + 1;
                minutes = (int)Math.Ceiling(length / MaxPoints);
            }
        }
        await using var history = new NpgsqlCommand(HistorySql, connection) { Parameters = { new() { Value = jobId }, new() { Value = minutes } } };
        var points = new List<HistoryPoint>();
        await using (var reader = await history.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                points.Add(new HistoryPoint(reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3),
                    reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)));
            }
        }
        return new JobHistory(minutes, points);
    }
}

/// <summary>Rows recorded in the current and the previous minute, and the seconds those minutes cover so far.</summary>
internal sealed record RecentPace(int Rows, double Seconds)
{
    /// <summary>Rows per second over those seconds, but no more seconds than the job has been running; null without rows.</summary>
    public static double? PerSecond(RecentPace? pace, DateTimeOffset? startedAt, DateTimeOffset now)
    {
        if (pace is not { Rows: > 0 } recent)
        {
            return null;
        }
        var seconds = startedAt is { } started ? Math.Min(recent.Seconds, (now - started).TotalSeconds) : recent.Seconds;
        return recent.Rows / Math.Max(seconds, 1);
    }
}

/// <summary>A job's recorded rows and tokens per bucket of <c>Minutes</c> minutes.</summary>
internal sealed record JobHistory(int Minutes, IReadOnlyList<HistoryPoint> Points);

internal sealed record HistoryPoint(DateTimeOffset Start, int Succeeded, int Failed, long Input, long CacheWrite, long CacheRead, long Output);

using Npgsql;
using NpgsqlTypes;

namespace Batch.Api.Reports;

/// <summary>
/// Answers cost reports from <c>cost_rollups</c> alone (one row per hour, project, account, model, job and price row),
/// never from <c>job_rows</c>: a month of a busy installation is thousands of rollup rows, not millions of rows.
/// Day groups are the hourly buckets whose start falls on that day in the report's time zone, which is exact for zones
/// whose offset is whole hours; in a zone such as Asia/Kolkata (+05:30) the bucket around local midnight counts on the
/// day it starts in.
/// </summary>
public sealed class CostReports(NpgsqlDataSource dataSource)
{
    private static readonly Dictionary<string, string[]> KeyColumns = new()
    {
        ["day"] = ["(c.hour AT TIME ZONE $3)::date"],
        ["hour"] = ["c.hour"],
        ["model"] = ["c.model"],
        ["project"] = ["c.project"],
        ["account"] = ["a.name"],
        ["job"] = ["c.job_id", "j.name"],
    };

    public async Task<CostReport> ReadAsync(CostReportRequest request, CancellationToken cancellationToken)
    {
        var keys = request.GroupBy.SelectMany(g => KeyColumns[g]).ToList();
        var sql = $"""
            SELECT {string.Join(", ", keys)}{(keys.Count > 0 ? ", " : "")}
                   sum(c.rows)::bigint, sum(c.requests)::bigint, sum(c.input_tokens)::bigint, sum(c.cache_write_5m_tokens)::bigint,
                   sum(c.cache_write_1h_tokens)::bigint, sum(c.cache_read_tokens)::bigint, sum(c.output_tokens)::bigint,
                   sum(c.cost_usd), sum(c.cache_savings_usd), sum(c.batch_savings_usd)
            FROM batch.cost_rollups c
            LEFT JOIN batch.provider_accounts a ON a.id = c.account_id
            LEFT JOIN batch.jobs j ON j.id = c.job_id
            WHERE c.hour >= $1 AND c.hour < $2 AND ($4::text IS NULL OR c.project = $4)
            GROUP BY {string.Join(", ", keys)}
            ORDER BY {string.Join(", ", keys)}
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = request.From });
        command.Parameters.Add(new NpgsqlParameter { Value = request.To });
        command.Parameters.Add(new NpgsqlParameter { Value = request.TimeZone.Id, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Project ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });

        var lines = new List<CostReportLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            DateOnly? day = null;
            DateTimeOffset? hour = null;
            string? model = null, project = null, account = null, jobName = null;
            Guid? jobId = null;
            var column = 0;
            foreach (var group in request.GroupBy)
            {
                switch (group)
                {
                    case "day":
                        day = reader.GetFieldValue<DateOnly>(column++);
                        break;
                    case "hour":
                        hour = TimeZoneInfo.ConvertTime(reader.GetFieldValue<DateTimeOffset>(column++), request.TimeZone);
                        break;
                    case "model":
                        model = reader.GetString(column++);
                        break;
                    case "project":
                        project = reader.GetString(column++);
                        break;
                    case "account":
                        account = reader.IsDBNull(column++) ? "(deleted)" : reader.GetString(column - 1);
                        break;
                    default:
                        jobId = reader.GetGuid(column++);
                        jobName = reader.IsDBNull(column++) ? null : reader.GetString(column - 1);
                        break;
                }
            }
            lines.Add(new CostReportLine(
                day, hour, model, project, account, jobId, jobName,
                reader.GetInt64(column), reader.GetInt64(column + 1), reader.GetInt64(column + 2), reader.GetInt64(column + 3),
                reader.GetInt64(column + 4), reader.GetInt64(column + 5), reader.GetInt64(column + 6),
                reader.GetDecimal(column + 7), reader.GetDecimal(column + 8), reader.GetDecimal(column + 9)));
        }
        return new CostReport(
            TimeZoneInfo.ConvertTime(request.From, request.TimeZone), TimeZoneInfo.ConvertTime(request.To, request.TimeZone), request.TimeZone.Id,
            request.Project, request.GroupBy, lines, CostReportLine.Sum(lines));
    }
}

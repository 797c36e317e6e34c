using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace Batch.Api.Reports;

/// <summary>
/// A cost report as CSV: the group's keys in <c>group_by</c> order, then the figures; one group a line, the total last.
/// Names (models, projects, accounts, jobs) that a spreadsheet would run as a formula get a leading <c>'</c>; figures,
/// which may be negative (cache savings), are written as they are.
/// </summary>
public static class CostReportCsv
{
    private static readonly CsvConfiguration Configuration = new(CultureInfo.InvariantCulture);
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    private static readonly string[] FigureColumns =
    [
        "rows", "requests", "input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "output_tokens",
        "cost_usd", "cache_savings_usd", "batch_savings_usd",
    ];

    public static async Task WriteAsync(CostReport report, Stream output, CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true);
        await using var csv = new CsvWriter(text, Configuration, leaveOpen: true);
        foreach (var group in report.GroupBy)
        {
            if (group == "job")
            {
                csv.WriteField("job_id");
                csv.WriteField("job_name");
            }
            else
            {
                csv.WriteField(group);
            }
        }
        foreach (var column in FigureColumns)
        {
            csv.WriteField(column);
        }
        await csv.NextRecordAsync();

        foreach (var line in report.Data)
        {
            foreach (var group in report.GroupBy)
            {
                WriteKey(csv, group, line);
            }
            WriteFigures(csv, line);
            await csv.NextRecordAsync();
        }
        var keyColumns = report.GroupBy.Sum(g => g == "job" ? 2 : 1);
        csv.WriteField("total");
        for (var i = 1; i < keyColumns; i++)
        {
            csv.WriteField("");
        }
        WriteFigures(csv, report.Total);
        await csv.NextRecordAsync();
        await csv.FlushAsync();
        await text.FlushAsync(cancellationToken);
    }

    private static void WriteKey(CsvWriter csv, string group, CostReportLine line)
    {
        switch (group)
        {
            case "day":
                csv.WriteField(line.Day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case "hour":
                csv.WriteField(line.Hour?.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
                break;
            case "model":
                csv.WriteField(Name(line.Model));
                break;
            case "project":
                csv.WriteField(Name(line.Project));
                break;
            case "account":
                csv.WriteField(Name(line.Account));
                break;
            default:
                csv.WriteField(line.JobId?.ToString());
                csv.WriteField(Name(line.JobName));
                break;
        }
    }

    private static string Name(string? name) => name is { Length: > 0 } && FormulaStarts.Contains(name[0]) ? "'" + name : name ?? "";

    private static void WriteFigures(CsvWriter csv, CostReportLine line)
    {
        foreach (var count in new[] { line.Rows, line.Requests, line.InputTokens, line.CacheWrite5mTokens, line.CacheWrite1hTokens, line.CacheReadTokens, line.OutputTokens })
        {
            csv.WriteField(count.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var usd in new[] { line.CostUsd, line.CacheSavingsUsd, line.BatchSavingsUsd })
        {
            csv.WriteField(usd.ToString("0.##########", CultureInfo.InvariantCulture));
        }
    }
}

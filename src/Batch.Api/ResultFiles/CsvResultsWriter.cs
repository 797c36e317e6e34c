using System.Globalization;
using System.Text;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using CsvHelper;
using CsvHelper.Configuration;
using Npgsql;

namespace Batch.Api.ResultFiles;

/// <summary>
/// Writes results as CSV a spreadsheet opens at once: the input columns, the schema's properties (jobs with an output
/// schema), then the output, its usage and cost, and how the request went. A cell that begins with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, tab or CR would run as a formula, so it gets a leading <c>'</c> (CsvHelper's injection escaping).
/// </summary>
public static class CsvResultsWriter
{
    public static readonly string[] OutputColumns =
    [
        "output_text", "stop_reason", "input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
        "cache_read_tokens", "output_tokens", "cost_usd", "request_id", "latency_ms", "attempts", "error_type", "error",
    ];

    private static readonly CsvConfiguration Configuration = new(CultureInfo.InvariantCulture)
    {
        InjectionOptions = InjectionOptions.Escape,
        InjectionCharacters = ['=', '+', '-', '@', '\t', '\r'],
        InjectionEscapeCharacter = '\'',
    };

    /// <summary>The custom_id leads unless an input column already holds it (a custom_id column, or the job's id column).</summary>
    public static bool LeadsWithCustomId(IReadOnlyList<string> inputColumns, string? idColumn) =>
        !inputColumns.Contains("custom_id") && (idColumn is null || !inputColumns.Contains(idColumn));

    /// <param name="byteOrderMark">Start with a UTF-8 BOM, which Excel needs to read UTF-8 and most other tools show as junk.</param>
    public static async Task WriteAsync(
        NpgsqlDataReader rows, IReadOnlyList<string> inputColumns, string? idColumn, SchemaColumns schemaColumns, bool byteOrderMark, Stream output,
        CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: byteOrderMark), bufferSize: 64 * 1024, leaveOpen: true);
        await using var csv = new CsvWriter(text, Configuration, leaveOpen: true);
        var withCustomId = LeadsWithCustomId(inputColumns, idColumn);

        if (withCustomId)
        {
            csv.WriteField("custom_id");
        }
        foreach (var column in inputColumns.Concat(schemaColumns.Names).Concat(OutputColumns))
        {
            csv.WriteField(column);
        }
        await csv.NextRecordAsync();

        while (await rows.ReadAsync(cancellationToken))
        {
            if (withCustomId)
            {
                csv.WriteField(rows.GetString(ResultRows.CustomId));
            }
            for (var i = 0; i < inputColumns.Count; i++)
            {
                csv.WriteField(rows.NullableString(ResultRows.FirstInputColumn + i) ?? "");
            }
            foreach (var cell in schemaColumns.Cells(rows.NullableString(ResultRows.OutputParsed)))
            {
                csv.WriteField(cell);
            }
            var status = (RowStatus)rows.GetInt16(ResultRows.Status);
            csv.WriteField(rows.NullableString(ResultRows.OutputText) ?? "");
            csv.WriteField(rows.NullableString(ResultRows.StopReason) ?? "");
            for (var ordinal = ResultRows.InputTokens; ordinal <= ResultRows.OutputTokens; ordinal++)
            {
                csv.WriteField(rows.GetInt32(ordinal).ToString(CultureInfo.InvariantCulture));
            }
            csv.WriteField(rows.IsDBNull(ResultRows.CostUsd) ? "" : Money.Exact(rows.GetDecimal(ResultRows.CostUsd)).ToString(CultureInfo.InvariantCulture));
            var finished = rows.Finished();
            csv.WriteField(rows.NullableString(ResultRows.RequestId) ?? "");
            csv.WriteField(rows.IsDBNull(ResultRows.LatencyMs) ? "" : rows.GetInt32(ResultRows.LatencyMs).ToString(CultureInfo.InvariantCulture));
            csv.WriteField(finished ? rows.GetInt16(ResultRows.Attempts).ToString(CultureInfo.InvariantCulture) : "");
            csv.WriteField(status == RowStatus.Failed ? rows.NullableString(ResultRows.ErrorType) ?? "" : "");
            csv.WriteField(status switch
            {
                RowStatus.Failed => rows.NullableString(ResultRows.ErrorMessage) ?? "",
                RowStatus.Canceled => "canceled",
                RowStatus.Expired => "expired",
                RowStatus.Pending or RowStatus.Leased => "pending",
                _ => "",
            });
            await csv.NextRecordAsync();
        }
        await csv.FlushAsync();
        await text.FlushAsync(cancellationToken);
    }
}

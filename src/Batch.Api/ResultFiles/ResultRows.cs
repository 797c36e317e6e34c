using Batch.Data.Entities;
using Batch.Data.Rows;
using Npgsql;

namespace Batch.Api.ResultFiles;

/// <summary>
/// Reads a job's rows in file order for export, streamed from the server as they are written out (the
/// reader holds one row at a time). Input columns are extracted by PostgreSQL (<c>input ->> name</c>) so
/// the API never parses inputs it only repeats. With pending rows, rows still in uploaded blocks are read from there.
/// </summary>
public static class ResultRows
{
    public const int CustomId = 0;
    public const int Status = 1;
    public const int OutputContent = 2;
    public const int OutputText = 3;
    public const int StopReason = 4;
    public const int StopSequence = 5;
    public const int InputTokens = 6;
    public const int CacheWrite5mTokens = 7;
    public const int CacheWrite1hTokens = 8;
    public const int CacheReadTokens = 9;
    public const int OutputTokens = 10;
    public const int MessageId = 11;
    public const int ResponseModel = 12;
    public const int ErrorType = 13;
    public const int ErrorMessage = 14;
    public const int CostUsd = 15;
    public const int RequestId = 16;
    public const int LatencyMs = 17;
    public const int Attempts = 18;
    public const int OutputParsed = 19;
    public const int FirstInputColumn = 20;

    public static async Task<NpgsqlDataReader> OpenAsync(NpgsqlConnection connection, Guid jobId, IReadOnlyList<string> inputColumns, bool includePending, CancellationToken cancellationToken)
    {
        var inputs = string.Concat(inputColumns.Select((_, i) => $", input ->> @c{i}"));
        var rows = includePending
            ? $"""
                (SELECT seq, custom_id, status, output_content, output_text, stop_reason, stop_sequence, input_tokens, cache_write5m_tokens,
                        cache_write1h_tokens, cache_read_tokens, output_tokens, message_id, response_model, error_type, error_message, cost_usd,
                        request_id, latency_ms, attempts, output_parsed, input
                 FROM batch.job_rows WHERE job_id = @job_id
                 UNION ALL
                 SELECT seq, custom_id, {(short)RowStatus.Pending}::smallint, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL,
                        NULL, NULL, 0::smallint, NULL, input
                 FROM ({JobInputBlocks.ExpandedRowsSql} WHERE b.job_id = @job_id) uploaded) r
                """
            : $"batch.job_rows WHERE job_id = @job_id AND status IN ({(short)RowStatus.Succeeded}, {(short)RowStatus.Failed}, {(short)RowStatus.Canceled}, {(short)RowStatus.Expired})";
        var command = new NpgsqlCommand($"""
            SELECT custom_id, status, output_content::text, output_text, stop_reason, stop_sequence,
                   input_tokens, cache_write5m_tokens, cache_write1h_tokens, cache_read_tokens, output_tokens,
                   message_id, response_model, error_type, error_message, cost_usd, request_id, latency_ms, attempts, output_parsed::text{inputs}
            FROM {rows}
            ORDER BY seq
            """, connection)
        {
            // An export of millions of rows may take longer than a command usually should; the request's cancellation still ends it.
            CommandTimeout = 0,
        };
        command.Parameters.AddWithValue("job_id", jobId);
        for (var i = 0; i < inputColumns.Count; i++)
        {
            command.Parameters.AddWithValue($"c{i}", inputColumns[i]);
        }
        return await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleResult, cancellationToken);
    }

    public static string? NullableString(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Whether the row was sent and answered (succeeded or failed): only then do its request id, latency and attempts mean something.</summary>
    public static bool Finished(this NpgsqlDataReader reader) => (RowStatus)reader.GetInt16(Status) is RowStatus.Succeeded or RowStatus.Failed;
}

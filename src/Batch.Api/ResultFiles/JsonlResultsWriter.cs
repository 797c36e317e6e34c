using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Batch.Api.Uploads;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Npgsql;

namespace Batch.Api.ResultFiles;

/// <summary>
/// Writes results as JSONL in the Message Batches API's result line shape, one row at a time straight into the
/// response pipe: <c>{"custom_id", "result": {"type": "succeeded", "message": {...}}}</c>, <c>errored</c> with the
/// error, <c>canceled</c> or <c>expired</c> (and <c>pending</c> for unfinished rows when asked for). Batch's own endpoint adds a sibling
/// <c>"batch": {request_id, latency_ms, attempts, error_type, cost_usd}</c>, and <c>"parsed"</c> (the answer's object) on
/// rows of a schema job whose answer matched; <c>result</c> stays exactly Anthropic's.
/// </summary>
public static class JsonlResultsWriter
{
    private const int FlushThreshold = 64 * 1024;

    private static readonly JsonEncodedText CustomIdName = JsonEncodedText.Encode("custom_id");
    private static readonly JsonEncodedText ResultName = JsonEncodedText.Encode("result");
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText RoleName = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText TextName = JsonEncodedText.Encode("text");
    private static readonly JsonEncodedText StopReasonName = JsonEncodedText.Encode("stop_reason");
    private static readonly JsonEncodedText StopSequenceName = JsonEncodedText.Encode("stop_sequence");
    private static readonly JsonEncodedText UsageName = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText InputTokensName = JsonEncodedText.Encode("input_tokens");
    private static readonly JsonEncodedText CacheCreationInputTokensName = JsonEncodedText.Encode("cache_creation_input_tokens");
    private static readonly JsonEncodedText CacheReadInputTokensName = JsonEncodedText.Encode("cache_read_input_tokens");
    private static readonly JsonEncodedText OutputTokensName = JsonEncodedText.Encode("output_tokens");
    private static readonly JsonEncodedText CacheCreationName = JsonEncodedText.Encode("cache_creation");
    private static readonly JsonEncodedText Ephemeral5mName = JsonEncodedText.Encode("ephemeral_5m_input_tokens");
    private static readonly JsonEncodedText Ephemeral1hName = JsonEncodedText.Encode("ephemeral_1h_input_tokens");
    private static readonly JsonEncodedText ErrorName = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText ParsedName = JsonEncodedText.Encode("parsed");
    private static readonly JsonEncodedText Succeeded = JsonEncodedText.Encode("succeeded");
    private static readonly JsonEncodedText Errored = JsonEncodedText.Encode("errored");
    private static readonly JsonEncodedText Canceled = JsonEncodedText.Encode("canceled");
    private static readonly JsonEncodedText Expired = JsonEncodedText.Encode("expired");
    private static readonly JsonEncodedText Pending = JsonEncodedText.Encode("pending");
    private static readonly JsonEncodedText MessageType = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant");
    private static readonly JsonEncodedText ErrorType = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText ApiError = JsonEncodedText.Encode("api_error");
    private static readonly JsonEncodedText BatchName = JsonEncodedText.Encode("batch");
    private static readonly JsonEncodedText RequestIdName = JsonEncodedText.Encode("request_id");
    private static readonly JsonEncodedText LatencyMsName = JsonEncodedText.Encode("latency_ms");
    private static readonly JsonEncodedText AttemptsName = JsonEncodedText.Encode("attempts");
    private static readonly JsonEncodedText ErrorTypeName = JsonEncodedText.Encode("error_type");
    private static readonly JsonEncodedText CostUsdName = JsonEncodedText.Encode("cost_usd");

    /// <param name="batchFields">Add the sibling <c>"batch"</c> object: Batch's own endpoint does, an Anthropic-compatible one must not.</param>
    public static async Task WriteAsync(NpgsqlDataReader rows, Job job, bool batchFields, PipeWriter output, CancellationToken cancellationToken)
    {
        var json = new Utf8JsonWriter(output, RowJson.WriterOptions with { SkipValidation = true });
        await using (json)
        {
            long unflushed = 0;
            while (await rows.ReadAsync(cancellationToken))
            {
                json.Reset(output);
                WriteLine(json, rows, job, batchFields);
                json.Flush();
                output.Write("\n"u8);
                unflushed += json.BytesCommitted + 1;
                if (unflushed >= FlushThreshold)
                {
                    unflushed = 0;
                    await output.FlushAsync(cancellationToken);
                }
            }
        }
        await output.FlushAsync(cancellationToken);
    }

    private static void WriteLine(Utf8JsonWriter json, NpgsqlDataReader row, Job job, bool batchFields)
    {
        json.WriteStartObject();
        json.WriteString(CustomIdName, row.GetString(ResultRows.CustomId));
        json.WritePropertyName(ResultName);
        json.WriteStartObject();
        switch ((RowStatus)row.GetInt16(ResultRows.Status))
        {
            case RowStatus.Succeeded:
                json.WriteString(TypeName, Succeeded);
                json.WritePropertyName(MessageName);
                WriteMessage(json, row, job);
                break;
            case RowStatus.Failed:
                json.WriteString(TypeName, Errored);
                json.WritePropertyName(ErrorName);
                json.WriteStartObject();
                json.WriteString(TypeName, ErrorType);
                json.WritePropertyName(ErrorName);
                json.WriteStartObject();
                json.WriteString(TypeName, row.NullableString(ResultRows.ErrorType) ?? ApiError.ToString());
                json.WriteString(MessageName, row.NullableString(ResultRows.ErrorMessage) ?? "");
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            case RowStatus.Canceled:
                json.WriteString(TypeName, Canceled);
                break;
            case RowStatus.Expired:
                json.WriteString(TypeName, Expired);
                break;
            default:
                json.WriteString(TypeName, Pending);
                break;
        }
        json.WriteEndObject();
        if (batchFields)
        {
            WriteBatchFields(json, row);
            // Batch's own addition beside Anthropic's result: the answer's object, once it matched the job's schema.
            if (row.NullableString(ResultRows.OutputParsed) is { } parsed)
            {
                json.WritePropertyName(ParsedName);
                json.WriteRawValue(parsed, skipInputValidation: true);
            }
        }
        json.WriteEndObject();
    }

    /// <summary>How the row's request went, as the CSV's columns say it; null where the row was never answered.</summary>
    private static void WriteBatchFields(Utf8JsonWriter json, NpgsqlDataReader row)
    {
        var finished = row.Finished();
        json.WritePropertyName(BatchName);
        json.WriteStartObject();
        json.WriteString(RequestIdName, row.NullableString(ResultRows.RequestId));
        if (row.IsDBNull(ResultRows.LatencyMs))
        {
            json.WriteNull(LatencyMsName);
        }
        else
        {
            json.WriteNumber(LatencyMsName, row.GetInt32(ResultRows.LatencyMs));
        }
        if (finished)
        {
            json.WriteNumber(AttemptsName, row.GetInt16(ResultRows.Attempts));
        }
        else
        {
            json.WriteNull(AttemptsName);
        }
        json.WriteString(ErrorTypeName, (RowStatus)row.GetInt16(ResultRows.Status) == RowStatus.Failed ? row.NullableString(ResultRows.ErrorType) : null);
        if (row.IsDBNull(ResultRows.CostUsd))
        {
            json.WriteNull(CostUsdName);
        }
        else
        {
            json.WriteNumber(CostUsdName, Money.Exact(row.GetDecimal(ResultRows.CostUsd)));
        }
        json.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter json, NpgsqlDataReader row, Job job)
    {
        json.WriteStartObject();
        json.WriteString(IdName, row.NullableString(ResultRows.MessageId));
        json.WriteString(TypeName, MessageType);
        json.WriteString(RoleName, Assistant);
        json.WriteString(ModelName, row.NullableString(ResultRows.ResponseModel) ?? job.Model);
        json.WritePropertyName(ContentName);
        if (row.NullableString(ResultRows.OutputContent) is { } content)
        {
            json.WriteRawValue(content, skipInputValidation: true);
        }
        else
        {
            json.WriteStartArray();
            json.WriteStartObject();
            json.WriteString(TypeName, TextName);
            json.WriteString(TextName, row.NullableString(ResultRows.OutputText) ?? "");
            json.WriteEndObject();
            json.WriteEndArray();
        }
        json.WriteString(StopReasonName, row.NullableString(ResultRows.StopReason));
        json.WriteString(StopSequenceName, row.NullableString(ResultRows.StopSequence));
        json.WritePropertyName(UsageName);
        json.WriteStartObject();
        var write5m = row.GetInt32(ResultRows.CacheWrite5mTokens);
        var write1h = row.GetInt32(ResultRows.CacheWrite1hTokens);
        json.WriteNumber(InputTokensName, row.GetInt32(ResultRows.InputTokens));
        json.WriteNumber(CacheCreationInputTokensName, write5m + write1h);
        json.WriteNumber(CacheReadInputTokensName, row.GetInt32(ResultRows.CacheReadTokens));
        json.WriteNumber(OutputTokensName, row.GetInt32(ResultRows.OutputTokens));
        json.WritePropertyName(CacheCreationName);
        json.WriteStartObject();
        json.WriteNumber(Ephemeral5mName, write5m);
        json.WriteNumber(Ephemeral1hName, write1h);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

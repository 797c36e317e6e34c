using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Batch.Api.Problems;
using Batch.Data.Entities;

namespace Batch.Api.Uploads;

/// <summary>The <c>spec</c> part of an upload: what every row of the job shares, in the Messages API's own field names.</summary>
public sealed class JobSpec
{
    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Shown in job lists; the file name when absent.</summary>
    public string? Name { get; set; }

    /// <summary>Required for template rows; params rows may carry their own.</summary>
    public string? Model { get; set; }

    /// <summary>A provider account name; the default account when absent.</summary>
    public string? Account { get; set; }

    /// <summary>The shared system prompt, cached once per job; may use <c>{{column}}</c> placeholders.</summary>
    public string? System { get; set; }

    /// <summary>The user message with <c>{{column}}</c> placeholders (CSV and JSONL template rows).</summary>
    public string? Template { get; set; }

    public int? MaxTokens { get; set; }

    /// <summary>The job's spend cap in USD: no row is sent whose worst case could take the job's cost past it.</summary>
    public decimal? MaxCostUsd { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public string[]? StopSequences { get; set; }
    public JsonElement? Metadata { get; set; }

    /// <summary><c>5m</c> (default) or <c>1h</c>.</summary>
    public string? CacheTtl { get; set; }

    public JsonElement? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }
    public int? Priority { get; set; }

    /// <summary>One character separating CSV fields; <c>,</c> by default (tab for <c>.tsv</c> files).</summary>
    public string? CsvDelimiter { get; set; }

    /// <summary>
    /// The column (CSV) or variable (JSONL template lines) whose values are the rows' custom_ids; <c>""</c> numbers the rows.
    /// Without it a CSV uses a <c>custom_id</c> column, else an <c>id</c> column, else numbers (<c>row-000001</c>).
    /// </summary>
    public string? IdColumn { get; set; }

    /// <summary><c>messages</c> (default), <c>provider_batch</c>, or <c>auto</c>: provider_batch when the deadline leaves the provider's window.</summary>
    public string? Delivery { get; set; }

    /// <summary>When the job should be done: an RFC 3339 time, or a duration from the upload such as <c>30h</c>, <c>90m</c> or <c>1d12h</c>.</summary>
    public string? Deadline { get; set; }

    [JsonIgnore]
    public Delivery ParsedDelivery => Delivery switch
    {
        "provider_batch" => Data.Entities.Delivery.ProviderBatch,
        "auto" => Data.Entities.Delivery.Auto,
        _ => Data.Entities.Delivery.Messages,
    };

    /// <summary>Gets a signed POST when the job ends or pauses; the project's default webhook when absent.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>A JSON Schema whose top level is an object: every answer must match it, and CSV results get a column per property.</summary>
    public JsonElement? OutputSchema { get; set; }

    /// <summary><c>auto</c> (default), <c>json_schema</c> or <c>tool</c>: how the schema is asked for.</summary>
    public string? OutputMode { get; set; }

    /// <summary>How many more times a row is sent when its answer does not match the schema; 1 by default.</summary>
    public int? SchemaRetries { get; set; }

    [JsonIgnore]
    public bool HasOutputSchema => OutputSchema is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined };

    /// <summary>The mode the job stores, known once <see cref="Validate"/> has checked the schema.</summary>
    [JsonIgnore]
    public Data.Entities.OutputMode ParsedOutputMode { get; private set; }

    [JsonIgnore]
    public CacheTtl ParsedCacheTtl => CacheTtl == "1h" ? Data.Entities.CacheTtl.OneHour : Data.Entities.CacheTtl.FiveMinutes;

    [JsonIgnore]
    public IReadOnlyList<string> Placeholders => [.. TemplatePlaceholders.Find(System).Concat(TemplatePlaceholders.Find(Template)).Distinct(StringComparer.Ordinal)];

    /// <summary>Parses the spec part; a syntax or type error becomes a 400 naming the field.</summary>
    public static JobSpec Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<JobSpec>(json, ReadOptions)
                ?? throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The spec is not valid", UploadError.ForField("spec", "The spec must be a JSON object."));
        }
        catch (JsonException exception)
        {
            var field = exception.Path is null or "$" ? "spec" : "spec" + exception.Path.TrimStart('$');
            var message = exception.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"Unknown field. Known fields: {KnownFields}."
                : $"Not valid JSON for this field: {FirstSentence(exception.Message)}";
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The spec is not valid", UploadError.ForField(field, message));
        }
    }

    /// <summary>
    /// Checks <see cref="Delivery"/> and <see cref="Deadline"/>, naming them as given: the spec's fields, or the Message Batches
    /// API's headers that carry them (<see cref="MessageBatchDelivery"/>).
    /// </summary>
    public void ValidateDelivery(UploadErrors errors, string deliveryField, string deadlineField)
    {
        if (Delivery is not null and not "messages" and not "provider_batch" and not "auto")
        {
            errors.ForField(deliveryField, "Must be \"messages\", \"provider_batch\" or \"auto\".");
        }
        if (Deadline is not null && Deadlines.TryParse(Deadline, DateTimeOffset.UtcNow, out _, out _) is { } deadlineError)
        {
            errors.ForField(deadlineField, deadlineError);
        }
    }

    /// <summary>Checks what can be checked before the file is seen; errors name <c>spec.field</c>.</summary>
    public void Validate(UploadErrors errors)
    {
        if (Name is { Length: > 200 })
        {
            errors.ForField("spec.name", "At most 200 characters.");
        }
        if (Model is not null && (Model.Length is 0 or > 200))
        {
            errors.ForField("spec.model", "A model name of 1 to 200 characters.");
        }
        if (MaxTokens is < 1)
        {
            errors.ForField("spec.max_tokens", "Must be at least 1.");
        }
        if (MaxCostUsd is <= 0)
        {
            errors.ForField("spec.max_cost_usd", "Must be more than 0 (USD).");
        }
        if (Temperature is < 0 or > 1)
        {
            errors.ForField("spec.temperature", "Must be between 0 and 1.");
        }
        if (TopP is < 0 or > 1)
        {
            errors.ForField("spec.top_p", "Must be between 0 and 1.");
        }
        if (TopK is < 0)
        {
            errors.ForField("spec.top_k", "Must be 0 or more.");
        }
        if (StopSequences is not null && StopSequences.Any(string.IsNullOrEmpty))
        {
            errors.ForField("spec.stop_sequences", "Stop sequences must be non-empty strings.");
        }
        if (Metadata is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            errors.ForField("spec.metadata", "Must be an object such as {\"user_id\": \"...\"}.");
        }
        if (Tools is { ValueKind: not JsonValueKind.Array and not JsonValueKind.Null })
        {
            errors.ForField("spec.tools", "Must be an array of tool definitions.");
        }
        if (ToolChoice is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            errors.ForField("spec.tool_choice", "Must be an object such as {\"type\": \"auto\"}.");
        }
        if (CacheTtl is not null and not "5m" and not "1h")
        {
            errors.ForField("spec.cache_ttl", "Must be \"5m\" or \"1h\".");
        }
        if (CsvDelimiter is not null && (CsvDelimiter.Length != 1 || CsvDelimiter is "\"" or "\r" or "\n"))
        {
            errors.ForField("spec.csv_delimiter", "Must be one character other than a quote or a line break, such as \",\", \";\" or \"\\t\".");
        }
        if (IdColumn is { Length: > 200 })
        {
            errors.ForField("spec.id_column", "At most 200 characters: the name of the column whose values are the custom_ids.");
        }
        ValidateDelivery(errors, "spec.delivery", "spec.deadline");
        if (Template is { Length: 0 })
        {
            errors.ForField("spec.template", "Must not be empty.");
        }
        if (Placeholders.Contains(""))
        {
            errors.ForField(Template?.Contains("{{}}", StringComparison.Ordinal) == true ? "spec.template" : "spec.system", "A placeholder '{{}}' names no column.");
        }
        ParsedOutputMode = OutputSchemaRules.Check(this, errors);
    }

    /// <summary>The Messages parameters every row inherits, other than those the job keeps in columns of its own.</summary>
    public string DefaultParamsJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (Temperature is { } temperature)
            {
                writer.WriteNumber("temperature", temperature);
            }
            if (TopP is { } topP)
            {
                writer.WriteNumber("top_p", topP);
            }
            if (TopK is { } topK)
            {
                writer.WriteNumber("top_k", topK);
            }
            if (StopSequences is { Length: > 0 })
            {
                writer.WriteStartArray("stop_sequences");
                foreach (var sequence in StopSequences)
                {
                    writer.WriteStringValue(sequence);
                }
                writer.WriteEndArray();
            }
            WriteElement(writer, "metadata", Metadata);
            WriteElement(writer, "tools", Tools);
            WriteElement(writer, "tool_choice", ToolChoice);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteElement(Utf8JsonWriter writer, string name, JsonElement? element)
    {
        if (element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } value)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }

    private const string KnownFields =
        "name, model, account, system, template, max_tokens, max_cost_usd, temperature, top_p, top_k, stop_sequences, metadata, cache_ttl, tools, tool_choice, " +
        "priority, csv_delimiter, id_column, output_schema, output_mode, schema_retries, delivery, deadline, webhook_url";

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}

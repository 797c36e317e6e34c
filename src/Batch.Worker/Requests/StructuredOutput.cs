using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Data.Entities;
using Batch.Messages;
using Json.Schema;

namespace Batch.Worker.Requests;

/// <summary>How one request asks for an answer that matches the job's schema.</summary>
internal enum AnswerFormat
{
    /// <summary><c>output_config.format</c> of type <c>json_schema</c>: the answer is a text block of JSON.</summary>
    JsonSchema,

    /// <summary>The <c>record</c> tool, forced: the answer is its <c>tool_use</c> input.</summary>
    Tool,
}

/// <summary>
/// A job's output schema, compiled once per chunk: puts it into each request (structured outputs or a forced tool, by
/// the job's mode and the request's model) and reads each answer back into an object that matches it.
/// </summary>
internal sealed class StructuredOutput
{
    private const string ToolDescription = "Records the answer. Call it exactly once, with the whole answer as its input.";

    private static readonly EvaluationOptions Quick = new() { OutputFormat = OutputFormat.Flag };
    private static readonly EvaluationOptions Explained = new() { OutputFormat = OutputFormat.List };
    private static readonly SerializedJson ToolChoice = new(new JsonObject { ["type"] = "tool", ["name"] = OutputTool.Name });
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JsonSchema _schema;
    // Every row of the job carries the same pieces: written once, copied into each body as bytes.
    private readonly SerializedJson _outputConfig;
    private readonly SerializedJson _tool;
    private readonly OutputMode _mode;
    private readonly IReadOnlyList<ModelSetting> _settings;
    private readonly string _jobModel;
    private readonly AnswerFormat _jobModelFormat;

    private StructuredOutput(JsonSchema schema, JsonObject schemaJson, OutputMode mode, int retries, IReadOnlyList<ModelSetting> settings, string jobModel)
    {
        _schema = schema;
        _outputConfig = new SerializedJson(new JsonObject
        {
            ["format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = schemaJson.DeepClone() },
        });
        _tool = new SerializedJson(new JsonObject { ["name"] = OutputTool.Name, ["description"] = ToolDescription, ["input_schema"] = schemaJson.DeepClone() });
        _mode = mode;
        Retries = retries;
        _settings = settings;
        _jobModel = jobModel;
        _jobModelFormat = Resolve(jobModel);
    }

    /// <summary>How many more times a row is sent when its answer does not match.</summary>
    public int Retries { get; }

    /// <summary>Null when the job has no schema.</summary>
    /// <exception cref="ArgumentException">The stored schema is not one JsonSchema.Net can build (the upload checks it, so only an edited row gets here).</exception>
    public static StructuredOutput? Create(Job job, IReadOnlyList<ModelSetting> settings)
    {
        if (job.OutputSchema is null)
        {
            return null;
        }
        // The built schema keeps reading the element it was built from: a clone owns its memory, as long as the schema lives.
        JsonElement element;
        using (var document = JsonDocument.Parse(job.OutputSchema))
        {
            element = document.RootElement.Clone();
        }
        JsonSchema schema;
        try
        {
            schema = JsonSchema.Build(element, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        }
        catch (Exception e) when (e is JsonSchemaException or RefResolutionException or JsonException)
        {
            throw new ArgumentException(e.Message, nameof(job), e);
        }
        var node = JsonNode.Parse(job.OutputSchema) as JsonObject ?? throw new ArgumentException("The output schema is not a JSON object.", nameof(job));
        return new StructuredOutput(schema, node, job.OutputMode, job.SchemaRetries, settings, job.Model);
    }

    /// <summary>How the schema is asked of <paramref name="model"/>: what <see cref="Apply"/> chose for a request naming it.</summary>
    public AnswerFormat FormatFor(string model) => model == _jobModel ? _jobModelFormat : Resolve(model);

    /// <summary>Adds the schema to a request body (after the row's params are merged in) and says how it was asked for.</summary>
    public AnswerFormat Apply(JsonObject body)
    {
        var format = FormatFor(body["model"] is JsonValue value && value.TryGetValue<string>(out var name) ? name : _jobModel);
        if (format == AnswerFormat.JsonSchema)
        {
            body["output_config"] = _outputConfig.ToNode();
            return format;
        }
        // Tools come first in the cache prefix, so the tool is cached with the system prompt's breakpoint.
        if (body["tools"] is not JsonArray tools)
        {
            body["tools"] = tools = [];
        }
        tools.Add(_tool.ToNode());
        body["tool_choice"] = ToolChoice.ToNode();
        return format;
    }

    /// <summary>Takes the object out of an answer and validates it against the schema.</summary>
    public AnswerCheck Read(MessageResponse message, AnswerFormat format)
    {
        switch (message.StopReason)
        {
            case "refusal":
                return AnswerCheck.Failed(Text(message, format), "refusal", "The model declined to answer (stop_reason refusal), so there is no result.");
            case "max_tokens":
                return AnswerCheck.Failed(Text(message, format), "max_tokens", "The answer was cut off at max_tokens before it was complete; raise max_tokens.");
        }
        if (format == AnswerFormat.Tool)
        {
            if (ToolInput(message.Content) is not { } input)
            {
                return AnswerCheck.Mismatch(message.OutputText, $"The answer has no call of the '{OutputTool.Name}' tool.");
            }
            var json = OneLine(input);
            return Validate(input, json, compact: json);
        }
        var text = message.OutputText;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return AnswerCheck.Mismatch(text, $"The answer is not JSON: {e.Message}");
        }
        using (document)
        {
            return Validate(document.RootElement, text, compact: IsOneLine(text) ? text : null);
        }
    }

    /// <param name="compact">The answer already as JSON on one line, when it is.</param>
    private AnswerCheck Validate(JsonElement answer, string text, string? compact)
    {
        if (_schema.Evaluate(answer, Quick).IsValid)
        {
            return AnswerCheck.Valid(text, compact ?? Serialize(answer));
        }
        var failures = _schema.Evaluate(answer, Explained).Details?
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => (Place: d.InstanceLocation.ToString(), Rule: RuleOf(e.Key, d.EvaluationPath.ToString()), Message: e.Value)))
            .ToList() ?? [];
        if (failures.Count == 0)
        {
            return AnswerCheck.Mismatch(text, "The answer does not match the schema.");
        }
        var (place, rule, detail) = failures[0];
        var more = failures.Count > 1 ? $" (and {failures.Count - 1} more)" : "";
        return AnswerCheck.Mismatch(text, $"The answer does not match the schema at {(place.Length == 0 ? "the top level" : place)}: {rule}: {detail}{more}");
    }

    /// <summary>A false subschema (additionalProperties: false) has no keyword of its own: the rule is where it sits.</summary>
    private static string RuleOf(string keyword, string evaluationPath) =>
        keyword.Length > 0 ? keyword : evaluationPath[(evaluationPath.LastIndexOf('/') + 1)..];

    private AnswerFormat Resolve(string model) => _mode switch
    {
        OutputMode.JsonSchema => AnswerFormat.JsonSchema,
        OutputMode.Tool => AnswerFormat.Tool,
        _ => ModelSetting.For(_settings, model)?.StructuredOutputs == true ? AnswerFormat.JsonSchema : AnswerFormat.Tool,
    };

    private static JsonElement? ToolInput(JsonElement content)
    {
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.ValueEquals("tool_use")
                && block.TryGetProperty("name", out var name) && name.ValueEquals(OutputTool.Name) && block.TryGetProperty("input", out var input))
            {
                return input;
            }
        }
        return null;
    }

    /// <summary>The answer as text: the model's text, or in tool mode the tool's input as JSON.</summary>
    private static string Text(MessageResponse message, AnswerFormat format) =>
        format == AnswerFormat.Tool && ToolInput(message.Content) is { } input ? OneLine(input) : message.OutputText;

    /// <summary>
    /// The value's JSON on one line, as a JSONL results line embeds it: its own text when it has no line break (answers
    /// mostly come compact), else written again compactly. JSON strings escape line breaks, so any is whitespace.
    /// </summary>
    private static string OneLine(JsonElement element) => element.GetRawText() is var raw && IsOneLine(raw) ? raw : Serialize(element);

    private static bool IsOneLine(string json) => json.AsSpan().IndexOfAny('\n', '\r') < 0;

    private static string Serialize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            element.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>What an answer came to: its text, and the matching object as compact JSON, or why there is none.</summary>
/// <param name="MayRetry">The answer did not match but another may: ask again while retries are left.</param>
internal sealed record AnswerCheck(string OutputText, string? Parsed, string? ErrorType, string? ErrorMessage, bool MayRetry)
{
    public const string SchemaMismatch = "schema_mismatch";

    public static AnswerCheck Valid(string text, string parsed) => new(text, parsed, null, null, false);

    public static AnswerCheck Mismatch(string text, string message) => new(text, null, SchemaMismatch, message, true);

    /// <summary>An answer no retry would mend (a refusal, a cut-off).</summary>
    public static AnswerCheck Failed(string text, string errorType, string message) => new(text, null, errorType, message, false);
}

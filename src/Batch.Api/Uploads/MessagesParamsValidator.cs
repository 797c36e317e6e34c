using System.Text.Json;
using Batch.Api.Problems;

namespace Batch.Api.Uploads;

/// <summary>
/// Checks a JSONL line's <c>params</c> against the Messages API's rules (docs/messages-api.md) before
/// anything is sent: required fields, <c>stream</c> a boolean, no <c>system</c> role, no unknown top-level fields.
/// <c>model</c> and <c>max_tokens</c> may come from the job's spec instead.
/// </summary>
public static class MessagesParamsValidator
{
    private static readonly HashSet<string> TopLevelFields = new(StringComparer.Ordinal)
    {
        "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k", "stop_sequences",
        "metadata", "tools", "tool_choice", "thinking", "service_tier", "cache_control", "output_config",
    };

    /// <summary>What a valid body brings of its own; <c>null</c> when it has errors (recorded on <paramref name="line"/>).</summary>
    /// <param name="AnswerShapeField">The field that decides the answer's shape (<c>tool_choice</c>, <c>output_config</c>), which a spec's output_schema must decide alone.</param>
    public sealed record Checked(string? Model, bool HasMaxTokens, string? AnswerShapeField);

    public static Checked? Validate(JsonElement body, long line, UploadErrors errors)
    {
        var before = errors.Count;
        void Error(string field, string message) => errors.AtLine(line, message, field);
        // Field names are built only for an error: most bodies have none, and they are checked by the hundred thousand.
        static string Field(JsonProperty property) => "params." + property.Name;

        if (body.ValueKind != JsonValueKind.Object)
        {
            Error("params", "params must be a Messages API request body (a JSON object).");
            return null;
        }

        string? model = null;
        string? answerShapeField = null;
        var hasMaxTokens = false;
        var hasMessages = false;
        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "stream":
                    // Streamed answers are assembled into the same message a plain answer is; long outputs stream anyway.
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        Error(Field(property), "stream must be true or false.");
                    }
                    break;
                case "model":
                    if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 and <= 200 } name)
                    {
                        Error(Field(property), "model must be a model name.");
                    }
                    else
                    {
                        model = name;
                    }
                    break;
                case "max_tokens":
                    hasMaxTokens = true;
                    if (!value.TryGetInt32(out var maxTokens) || maxTokens < 1)
                    {
                        Error(Field(property), "max_tokens must be an integer of at least 1.");
                    }
                    break;
                case "messages":
                    hasMessages = true;
                    ValidateMessages(value, line, errors);
                    break;
                case "system":
                    if (!IsValidSystem(value))
                    {
                        Error(Field(property), "system must be a string or a list of text blocks {\"type\": \"text\", \"text\": \"...\"}.");
                    }
                    break;
                case "temperature" or "top_p":
                    if (value.ValueKind != JsonValueKind.Number || value.GetDouble() is < 0 or > 1)
                    {
                        Error(Field(property), $"{property.Name} must be a number between 0 and 1.");
                    }
                    break;
                case "top_k":
                    if (!value.TryGetInt32(out var topK) || topK < 0)
                    {
                        Error(Field(property), "top_k must be an integer of 0 or more.");
                    }
                    break;
                case "stop_sequences":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
                    {
                        Error(Field(property), "stop_sequences must be an array of strings.");
                    }
                    break;
                case "metadata" or "tool_choice" or "thinking" or "cache_control" or "output_config":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        Error(Field(property), $"{property.Name} must be an object.");
                    }
                    if (property.Name is "tool_choice" or "output_config")
                    {
                        answerShapeField ??= Field(property);
                    }
                    break;
                case "tools":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.Object))
                    {
                        Error(Field(property), "tools must be an array of tool definitions.");
                    }
                    break;
                case "service_tier":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        Error(Field(property), "service_tier must be a string.");
                    }
                    break;
                default:
                    Error(Field(property), $"Unknown field '{property.Name}': the Messages API rejects unknown top-level fields.");
                    break;
            }
        }
        if (!hasMessages)
        {
            Error("params.messages", "params.messages is required: a non-empty list of {role, content}.");
        }
        return errors.Count == before ? new Checked(model, hasMaxTokens, answerShapeField) : null;
    }

    private static void ValidateMessages(JsonElement messages, long line, UploadErrors errors)
    {
        const string field = "params.messages";
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            errors.AtLine(line, "messages must be a non-empty list of {role, content}.", field);
            return;
        }
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var at = index++;
            if (message.ValueKind != JsonValueKind.Object)
            {
                errors.AtLine(line, "Each message must be an object {role, content}.", MessageField(at));
                continue;
            }
            foreach (var property in message.EnumerateObject())
            {
                if (!property.NameEquals("role"u8) && !property.NameEquals("content"u8))
                {
                    errors.AtLine(line, $"Unknown message field '{property.Name}'.", MessageField(at, property.Name));
                }
            }
            var role = message.TryGetProperty("role"u8, out var r) && r.ValueKind == JsonValueKind.String ? r : default;
            if (role.ValueKind == JsonValueKind.String && role.ValueEquals("system"u8))
            {
                errors.AtLine(line, "A message with role 'system' is rejected by the Messages API: put the system prompt in the top-level system field.", MessageField(at, "role"));
            }
            else if (role.ValueKind != JsonValueKind.String || (!role.ValueEquals("user"u8) && !role.ValueEquals("assistant"u8)))
            {
                errors.AtLine(line, "role must be 'user' or 'assistant'.", MessageField(at, "role"));
            }
            if (!message.TryGetProperty("content"u8, out var content))
            {
                errors.AtLine(line, "content is required: a string or a list of content blocks.", MessageField(at, "content"));
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                if (content.GetArrayLength() == 0 || !AllBlocksTyped(content))
                {
                    errors.AtLine(line, "content blocks must be objects with a type, such as {\"type\": \"text\", \"text\": \"...\"}.", MessageField(at, "content"));
                }
            }
            else if (content.ValueKind != JsonValueKind.String)
            {
                errors.AtLine(line, "content must be a string or a list of content blocks.", MessageField(at, "content"));
            }
        }
    }

    /// <summary><c>params.messages[2]</c>, or <c>params.messages[2].role</c>: built only for an error.</summary>
    private static string MessageField(int index, string? name = null) =>
        name is null ? $"params.messages[{index}]" : $"params.messages[{index}].{name}";

    private static bool AllBlocksTyped(JsonElement blocks)
    {
        foreach (var block in blocks.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsValidSystem(JsonElement system)
    {
        if (system.ValueKind == JsonValueKind.String)
        {
            return true;
        }
        if (system.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var block in system.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object
                || !block.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("text"u8)
                || !block.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }
        return true;
    }
}

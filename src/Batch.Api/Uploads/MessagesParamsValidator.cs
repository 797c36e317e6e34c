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
            var field = "params." + property.Name;
            var value = property.Value;
            switch (property.Name)
            {
                case "stream":
                    // Streamed answers are assembled into the same message a plain answer is; long outputs stream anyway.
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        Error(field, "stream must be true or false.");
                    }
                    break;
                case "model":
                    if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 and <= 200 } name)
                    {
                        Error(field, "model must be a model name.");
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
                        Error(field, "max_tokens must be an integer of at least 1.");
                    }
                    break;
                case "messages":
                    hasMessages = true;
                    ValidateMessages(value, field, Error);
                    break;
                case "system":
                    ValidateSystem(value, field, Error);
                    break;
                case "temperature" or "top_p":
                    if (value.ValueKind != JsonValueKind.Number || value.GetDouble() is < 0 or > 1)
                    {
                        Error(field, $"{property.Name} must be a number between 0 and 1.");
                    }
                    break;
                case "top_k":
                    if (!value.TryGetInt32(out var topK) || topK < 0)
                    {
                        Error(field, "top_k must be an integer of 0 or more.");
                    }
                    break;
                case "stop_sequences":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
                    {
                        Error(field, "stop_sequences must be an array of strings.");
                    }
                    break;
                case "metadata" or "tool_choice" or "thinking" or "cache_control" or "output_config":
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        Error(field, $"{property.Name} must be an object.");
                    }
                    if (property.Name is "tool_choice" or "output_config")
                    {
                        answerShapeField ??= field;
                    }
                    break;
                case "tools":
                    if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.Object))
                    {
                        Error(field, "tools must be an array of tool definitions.");
                    }
                    break;
                case "service_tier":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        Error(field, "service_tier must be a string.");
                    }
                    break;
                default:
                    Error(field, $"Unknown field '{property.Name}': the Messages API rejects unknown top-level fields.");
                    break;
            }
        }
        if (!hasMessages)
        {
            Error("params.messages", "params.messages is required: a non-empty list of {role, content}.");
        }
        return errors.Count == before ? new Checked(model, hasMaxTokens, answerShapeField) : null;
    }

    private static void ValidateMessages(JsonElement messages, string field, Action<string, string> error)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            error(field, "messages must be a non-empty list of {role, content}.");
            return;
        }
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var at = $"{field}[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                error(at, "Each message must be an object {role, content}.");
                continue;
            }
            foreach (var property in message.EnumerateObject())
            {
                if (property.Name is not "role" and not "content")
                {
                    error($"{at}.{property.Name}", $"Unknown message field '{property.Name}'.");
                }
            }
            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            if (role == "system")
            {
                error($"{at}.role", "A message with role 'system' is rejected by the Messages API: put the system prompt in the top-level system field.");
            }
            else if (role is not "user" and not "assistant")
            {
                error($"{at}.role", "role must be 'user' or 'assistant'.");
            }
            if (!message.TryGetProperty("content", out var content))
            {
                error($"{at}.content", "content is required: a string or a list of content blocks.");
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                if (content.GetArrayLength() == 0 || content.EnumerateArray().Any(b => b.ValueKind != JsonValueKind.Object || !b.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String))
                {
                    error($"{at}.content", "content blocks must be objects with a type, such as {\"type\": \"text\", \"text\": \"...\"}.");
                }
            }
            else if (content.ValueKind != JsonValueKind.String)
            {
                error($"{at}.content", "content must be a string or a list of content blocks.");
            }
        }
    }

    private static void ValidateSystem(JsonElement system, string field, Action<string, string> error)
    {
        if (system.ValueKind == JsonValueKind.String)
        {
            return;
        }
        if (system.ValueKind != JsonValueKind.Array
            || system.EnumerateArray().Any(b => b.ValueKind != JsonValueKind.Object
                || !b.TryGetProperty("type", out var type) || type.ValueEquals("text") is false
                || !b.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String))
        {
            error(field, "system must be a string or a list of text blocks {\"type\": \"text\", \"text\": \"...\"}.");
        }
    }
}

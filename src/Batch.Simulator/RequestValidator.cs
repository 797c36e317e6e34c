using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Batch.Simulator;

/// <summary>
/// Validates a Messages or count_tokens body as strictly as the real API and reduces it to a
/// <see cref="MessageRequest"/>. Error messages start with the path of the offending field.
/// </summary>
internal static partial class RequestValidator
{
    private const int MaxBreakpoints = 4;

    private static readonly FrozenSet<string> MessagesFields = FrozenSet.Create(StringComparer.Ordinal,
        "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k", "stop_sequences",
        "metadata", "tools", "tool_choice", "thinking", "stream", "service_tier", "cache_control", "output_config");

    private static readonly FrozenSet<string> CountTokensFields = FrozenSet.Create(StringComparer.Ordinal,
        "model", "messages", "system", "tools", "tool_choice", "thinking", "cache_control", "output_config");

    private static readonly FrozenSet<string> SamplingFields = FrozenSet.Create(StringComparer.Ordinal, "temperature", "top_p", "top_k");

    public static ApiError? TryParse(JsonElement root, string apiVersion, bool countTokens, SimulatorOptions options, out MessageRequest? request)
    {
        request = null;
        try
        {
            request = Parse(root, apiVersion, countTokens);
        }
        catch (InvalidRequestException e)
        {
            return ApiError.InvalidRequest(e.Message);
        }
        return options.ModelNamePrefix.Length > 0 && !request.Model.StartsWith(options.ModelNamePrefix, StringComparison.Ordinal)
            ? ApiError.NotFound($"model: {request.Model}")
            : null;
    }

    private static MessageRequest Parse(JsonElement root, string apiVersion, bool countTokens)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("Input should be a JSON object");
        }
        var allowed = countTokens ? CountTokensFields : MessagesFields;
        foreach (var property in root.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                throw new InvalidRequestException($"{property.Name}: Extra inputs are not permitted");
            }
            if (apiVersion == ApiVersions.V20261021 && SamplingFields.Contains(property.Name))
            {
                throw new InvalidRequestException($"{property.Name}: is not supported with anthropic-version {ApiVersions.V20261021}");
            }
        }

        var model = RequiredString(root, "model");
        var maxTokens = countTokens ? 0 : MaxTokens(root);
        if (!root.TryGetProperty("messages", out var messages))
        {
            throw new InvalidRequestException("messages: Field required");
        }
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("messages: Input should be a valid list");
        }
        if (messages.GetArrayLength() == 0)
        {
            throw new InvalidRequestException("messages: List should have at least 1 item");
        }

        var stream = OptionalBool(root, "stream");
        CheckRange(root, "temperature", 0, 1);
        CheckRange(root, "top_p", 0, 1);
        CheckRange(root, "top_k", 0, int.MaxValue);
        var stopSequences = StopSequences(root);
        CheckMetadata(root);
        CheckEnum(root, "service_tier", "auto", "standard_only");
        CheckThinking(root);

        using var prefix = new PromptPrefixBuilder(model);
        var breakpoints = 0;
        var tools = Tools(root, prefix, ref breakpoints);
        var outputSchema = OutputConfig(root, prefix);
        System(root, prefix, ref breakpoints);
        var lastUserText = Messages(messages, prefix, ref breakpoints);
        if (root.TryGetProperty("cache_control", out var automatic))
        {
            // Automatic placement: the breakpoint goes on the last block of the prompt.
            var ttl = CacheControl(automatic, "cache_control", ref breakpoints);
            if (!prefix.EndsWithBreakpoint)
            {
                prefix.MarkBreakpoint(ttl);
            }
        }

        var forcedTool = ToolChoice(root, tools);
        var hash = prefix.CurrentHash();
        return new MessageRequest
        {
            Model = model,
            MaxTokens = maxTokens,
            Stream = stream,
            StopSequences = stopSequences,
            Tools = tools,
            ForcedTool = forcedTool,
            OutputSchema = outputSchema,
            InputTokens = prefix.Tokens,
            Breakpoints = [.. prefix.Breakpoints],
            ContentSeed = (ulong)hash ^ (ulong)(hash >> 64),
            LastUserText = lastUserText,
            PromptTexts = prefix.Texts,
        };
    }

    private static string RequiredString(JsonElement parent, string name, string? parentPath = null)
    {
        var path = parentPath is null ? name : $"{parentPath}.{name}";
        if (!parent.TryGetProperty(name, out var value))
        {
            throw new InvalidRequestException($"{path}: Field required");
        }
        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
        {
            throw new InvalidRequestException($"{path}: Input should be a non-empty string");
        }
        return text;
    }

    private static int MaxTokens(JsonElement root)
    {
        if (!root.TryGetProperty("max_tokens", out var value))
        {
            throw new InvalidRequestException("max_tokens: Field required");
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var maxTokens))
        {
            throw new InvalidRequestException("max_tokens: Input should be a valid integer");
        }
        return maxTokens >= 1
            ? maxTokens
            : throw new InvalidRequestException("max_tokens: Input should be greater than or equal to 1");
    }

    private static bool OptionalBool(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidRequestException($"{name}: Input should be a valid boolean"),
        };
    }

    private static void CheckRange(JsonElement root, string name, double min, double max)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new InvalidRequestException($"{name}: Input should be a valid number");
        }
        var number = value.GetDouble();
        if (number < min)
        {
            throw new InvalidRequestException($"{name}: Input should be greater than or equal to {min.ToString(CultureInfo.InvariantCulture)}");
        }
        if (number > max)
        {
            throw new InvalidRequestException($"{name}: Input should be less than or equal to {max.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static string[] StopSequences(JsonElement root)
    {
        if (!root.TryGetProperty("stop_sequences", out var value))
        {
            return [];
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("stop_sequences: Input should be a valid list");
        }
        var sequences = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                throw new InvalidRequestException($"stop_sequences.{i}: Input should be a string with non-whitespace characters");
            }
            sequences[i++] = item.GetString()!;
        }
        return sequences;
    }

    private static void CheckMetadata(JsonElement root)
    {
        if (!root.TryGetProperty("metadata", out var metadata))
        {
            return;
        }
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("metadata: Input should be a valid dictionary");
        }
        foreach (var property in metadata.EnumerateObject())
        {
            if (property.Name != "user_id")
            {
                throw new InvalidRequestException($"metadata.{property.Name}: Extra inputs are not permitted");
            }
            if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                throw new InvalidRequestException("metadata.user_id: Input should be a valid string");
            }
        }
    }

    private static void CheckEnum(JsonElement parent, string name, params ReadOnlySpan<string> allowed)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return;
        }
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        foreach (var candidate in allowed)
        {
            if (text == candidate)
            {
                return;
            }
        }
        throw new InvalidRequestException($"{name}: Input should be '{string.Join("' or '", allowed.ToArray())}'");
    }

    private static void CheckThinking(JsonElement root)
    {
        if (!root.TryGetProperty("thinking", out var thinking))
        {
            return;
        }
        if (thinking.ValueKind != JsonValueKind.Object || !thinking.TryGetProperty("type", out _))
        {
            throw new InvalidRequestException("thinking.type: Field required");
        }
        CheckEnum(thinking, "type", "enabled", "disabled", "adaptive");
    }

    private static CacheTtl CacheControl(JsonElement value, string path, ref int breakpoints)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"{path}: Input should be a valid dictionary");
        }
        var ttl = CacheTtl.FiveMinutes;
        var hasType = false;
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "type" when property.Value.ValueKind == JsonValueKind.String && property.Value.ValueEquals("ephemeral"):
                    hasType = true;
                    break;
                case "type":
                    throw new InvalidRequestException($"{path}.type: Input should be 'ephemeral'");
                case "ttl" when property.Value.ValueKind == JsonValueKind.String && property.Value.ValueEquals("5m"):
                    break;
                case "ttl" when property.Value.ValueKind == JsonValueKind.String && property.Value.ValueEquals("1h"):
                    ttl = CacheTtl.OneHour;
                    break;
                case "ttl":
                    throw new InvalidRequestException($"{path}.ttl: Input should be '5m' or '1h'");
                default:
                    throw new InvalidRequestException($"{path}.{property.Name}: Extra inputs are not permitted");
            }
        }
        if (!hasType)
        {
            throw new InvalidRequestException($"{path}.type: Field required");
        }
        if (++breakpoints > MaxBreakpoints)
        {
            throw new InvalidRequestException($"A maximum of {MaxBreakpoints} blocks with cache_control may be provided. Found {breakpoints}.");
        }
        return ttl;
    }

    private static void MarkIfCached(JsonElement block, string path, PromptPrefixBuilder prefix, ref int breakpoints)
    {
        if (block.TryGetProperty("cache_control", out var cacheControl) && cacheControl.ValueKind != JsonValueKind.Null)
        {
            prefix.MarkBreakpoint(CacheControl(cacheControl, $"{path}.cache_control", ref breakpoints));
        }
    }

    private static List<ToolDefinition> Tools(JsonElement root, PromptPrefixBuilder prefix, ref int breakpoints)
    {
        var tools = new List<ToolDefinition>();
        if (!root.TryGetProperty("tools", out var array))
        {
            return tools;
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("tools: Input should be a valid list");
        }
        var i = 0;
        foreach (var tool in array.EnumerateArray())
        {
            var path = $"tools.{i++}";
            if (tool.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException($"{path}: Input should be a valid dictionary");
            }
            var name = RequiredString(tool, "name", path);
            if (!ToolName().IsMatch(name))
            {
                throw new InvalidRequestException($"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'");
            }
            var isCustom = !tool.TryGetProperty("type", out var type) || type.ValueEquals("custom");
            if (isCustom && (!tool.TryGetProperty("input_schema", out var schema) || schema.ValueKind != JsonValueKind.Object))
            {
                throw new InvalidRequestException($"{path}.input_schema: Field required");
            }
            var description = tool.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
            var schemaText = tool.TryGetProperty("input_schema", out var s) ? s.GetRawText() : "";
            prefix.Append(name);
            prefix.Append(description);
            prefix.Append(schemaText);
            prefix.AddTokens(ApproximateTokenizer.ToolOverhead + ApproximateTokenizer.CountChars(name.Length + description.Length + schemaText.Length));
            MarkIfCached(tool, path, prefix, ref breakpoints);
            tools.Add(new ToolDefinition(name, s));
        }
        return tools;
    }

    private static void System(JsonElement root, PromptPrefixBuilder prefix, ref int breakpoints)
    {
        if (!root.TryGetProperty("system", out var system))
        {
            return;
        }
        prefix.Append("system");
        if (system.ValueKind == JsonValueKind.String)
        {
            prefix.AppendText(system.GetString()!);
            return;
        }
        if (system.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("system: Input should be a valid string or list of text blocks");
        }
        var i = 0;
        foreach (var block in system.EnumerateArray())
        {
            var path = $"system.{i++}";
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || !type.ValueEquals("text"))
            {
                throw new InvalidRequestException($"{path}.type: Input should be 'text'");
            }
            prefix.AppendText(TextOf(block, path));
            MarkIfCached(block, path, prefix, ref breakpoints);
        }
    }

    private static string TextOf(JsonElement block, string path)
    {
        if (!block.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
        {
            throw new InvalidRequestException($"{path}.text: Field required");
        }
        return text.GetString() is { Length: > 0 } value
            ? value
            : throw new InvalidRequestException($"{path}.text: text content blocks must be non-empty");
    }

    /// <returns>The text of the last user message.</returns>
    private static string Messages(JsonElement messages, PromptPrefixBuilder prefix, ref int breakpoints)
    {
        var lastUserText = "";
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"messages.{i++}";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException($"{path}: Input should be a valid dictionary");
            }
            var role = Role(message, path);
            foreach (var property in message.EnumerateObject())
            {
                if (property.Name is not ("role" or "content"))
                {
                    throw new InvalidRequestException($"{path}.{property.Name}: Extra inputs are not permitted");
                }
            }
            prefix.Append(role);
            prefix.AddTokens(ApproximateTokenizer.MessageOverhead);
            var text = Content(message, path, prefix, ref breakpoints);
            if (role == "user")
            {
                lastUserText = text;
            }
        }
        return lastUserText;
    }

    private static string Role(JsonElement message, string path)
    {
        if (!message.TryGetProperty("role", out var role))
        {
            throw new InvalidRequestException($"{path}.role: Field required");
        }
        if (role.ValueEquals("user"))
        {
            return "user";
        }
        if (role.ValueEquals("assistant"))
        {
            return "assistant";
        }
        if (role.ValueEquals("system"))
        {
            throw new InvalidRequestException(
                $"{path}.role: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.");
        }
        throw new InvalidRequestException($"{path}.role: Input should be 'user' or 'assistant'");
    }

    /// <returns>The text blocks of the message, joined.</returns>
    private static string Content(JsonElement message, string path, PromptPrefixBuilder prefix, ref int breakpoints)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            throw new InvalidRequestException($"{path}.content: Field required");
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            var text = content.GetString()!;
            prefix.AppendText(text);
            return text;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException($"{path}.content: Input should be a valid string or list of content blocks");
        }
        StringBuilder? joined = null;
        var firstText = "";
        var j = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.content.{j++}";
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                throw new InvalidRequestException($"{blockPath}.type: Field required");
            }
            if (type.ValueEquals("text"))
            {
                var text = TextOf(block, blockPath);
                prefix.AppendText(text);
                if (firstText.Length == 0)
                {
                    firstText = text;
                }
                else
                {
                    (joined ??= new StringBuilder(firstText)).Append('\n').Append(text);
                }
            }
            else
            {
                AppendOtherBlock(block, prefix);
            }
            MarkIfCached(block, blockPath, prefix, ref breakpoints);
        }
        return joined?.ToString() ?? firstText;
    }

    private static void AppendOtherBlock(JsonElement block, PromptPrefixBuilder prefix)
    {
        // cache_control is not part of a prefix's identity: the same block with or without it must hit.
        var chars = 0;
        foreach (var property in block.EnumerateObject())
        {
            if (property.Name == "cache_control")
            {
                continue;
            }
            var raw = property.Value.GetRawText();
            prefix.Append(property.Name);
            prefix.Append(raw);
            chars += raw.Length;
        }
        prefix.AddTokens(ApproximateTokenizer.CountChars(chars));
    }

    private static ToolDefinition? ToolChoice(JsonElement root, List<ToolDefinition> tools)
    {
        if (!root.TryGetProperty("tool_choice", out var choice))
        {
            return null;
        }
        if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("type", out var type))
        {
            throw new InvalidRequestException("tool_choice.type: Field required");
        }
        CheckEnum(choice, "type", "auto", "any", "tool", "none");
        if (type.ValueEquals("auto") || type.ValueEquals("none"))
        {
            return null;
        }
        if (tools.Count == 0)
        {
            throw new InvalidRequestException("tool_choice: may only be specified while providing tools");
        }
        if (type.ValueEquals("any"))
        {
            return tools[0];
        }
        var name = RequiredString(choice, "name", "tool_choice");
        return tools.Find(t => t.Name == name)
            ?? throw new InvalidRequestException($"tool_choice.name: Tool '{name}' not found in provided tools");
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,128}$")]
    private static partial Regex ToolName();

    private sealed class InvalidRequestException(string message) : Exception(message);
}

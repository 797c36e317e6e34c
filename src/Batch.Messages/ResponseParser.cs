using System.Text;
using System.Text.Json;

namespace Batch.Messages;

/// <summary>
/// Reads Messages response bodies tolerantly: gateways and other implementations differ, so nothing is
/// assumed beyond what is needed. Unknown block types are kept in <see cref="MessageResponse.Content"/>,
/// stop reasons are kept as text, absent usage fields are zero.
/// </summary>
public static class ResponseParser
{
    /// <summary>Null when the body is not a JSON object (cut off, HTML from a proxy, ...).</summary>
    public static MessageResponse? ParseMessage(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var content = root.TryGetProperty("content", out var blocks) && blocks.ValueKind == JsonValueKind.Array
                ? blocks.Clone()
                : EmptyArray;
            return new MessageResponse(
                String(root, "id"),
                String(root, "model"),
                content,
                TextOf(content),
                String(root, "stop_reason"),
                String(root, "stop_sequence"),
                UsageOf(root));
        }
    }

    /// <summary>The <c>input_tokens</c> of a <c>count_tokens</c> answer; null when the body has none.</summary>
    public static int? ParseInputTokens(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("input_tokens", out var tokens) && tokens.TryGetInt32(out var count) && count >= 0
                ? count
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The error of a non-2xx answer; falls back to the status and a short piece of the body when it is not Anthropic's shape.</summary>
    public static ApiError ParseError(int status, ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : root;
                var type = String(error, "type") is { } t && t != "error" ? t : null;
                var message = String(error, "message") ?? (error.TryGetProperty("error", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null);
                var code = error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object
                    ? String(details, "error_code")
                    : String(error, "error_code") ?? String(error, "code");
                return new ApiError(type ?? FallbackType(status), message ?? $"HTTP {status}", code);
            }
        }
        catch (JsonException)
        {
            // Not JSON: a proxy's page or a cut-off body.
        }
        return new ApiError(FallbackType(status), Snippet(body, status));
    }

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement.Clone();

    private static string FallbackType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "http_error",
    };

    private static string Snippet(ReadOnlySpan<byte> body, int status)
    {
        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)]).Trim();
        return text.Length == 0 ? $"HTTP {status}" : text;
    }

    private static string TextOf(JsonElement content)
    {
        StringBuilder? text = null;
        string? single = null;
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object && String(block, "type") == "text" && String(block, "text") is { } piece)
            {
                if (single is null && text is null)
                {
                    single = piece;
                }
                else
                {
                    text ??= new StringBuilder(single);
                    text.Append(piece);
                }
            }
        }
        return text?.ToString() ?? single ?? "";
    }

    /// <summary>A <c>usage</c> object as the streamed events carry it.</summary>
    internal static MessageUsage ParseUsage(System.Text.Json.Nodes.JsonObject usage)
    {
        using var document = JsonDocument.Parse(usage.ToJsonString());
        return UsageFields(document.RootElement);
    }

    private static MessageUsage UsageOf(JsonElement root) =>
        root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? UsageFields(usage) : new MessageUsage(0, 0, 0, 0, 0, 0);

    private static MessageUsage UsageFields(JsonElement usage)
    {
        var creation = Int(usage, "cache_creation_input_tokens");
        int write5m = 0, write1h = 0;
        if (usage.TryGetProperty("cache_creation", out var split) && split.ValueKind == JsonValueKind.Object)
        {
            write5m = Int(split, "ephemeral_5m_input_tokens");
            write1h = Int(split, "ephemeral_1h_input_tokens");
        }
        return new MessageUsage(Int(usage, "input_tokens"), creation, Int(usage, "cache_read_input_tokens"), write5m, write1h, Int(usage, "output_tokens"));
    }

    private static int Int(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : 0;

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

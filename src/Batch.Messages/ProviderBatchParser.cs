using System.Globalization;
using System.Text.Json;

namespace Batch.Messages;

/// <summary>Reads the Message Batches API's answers tolerantly: unknown fields are ignored, absent counts are zero.</summary>
public static class ProviderBatchParser
{
    /// <summary>Null when the body is not a batch object (no id).</summary>
    public static ProviderBatchInfo? ParseBatch(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return Batch(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A list page: its batches, <c>has_more</c> and <c>last_id</c>; null when the body is not one.</summary>
    public static (List<ProviderBatchInfo> Batches, bool HasMore, string? LastId)? ParseList(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var batches = data.EnumerateArray().Select(Batch).OfType<ProviderBatchInfo>().ToList();
            var hasMore = root.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True;
            return (batches, hasMore, String(root, "last_id") ?? batches.LastOrDefault()?.Id);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One JSONL result line; null when it has no custom_id or result type.</summary>
    public static ProviderBatchResult? ParseResult(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "custom_id") is not { } customId
                || !root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object || String(result, "type") is not { } type)
            {
                return null;
            }
            var message = result.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object
                ? ResponseParser.ParseMessage(JsonSerializer.SerializeToUtf8Bytes(m))
                : null;
            var error = result.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
                ? ResponseParser.ParseError(0, JsonSerializer.SerializeToUtf8Bytes(e))
                : null;
            return new ProviderBatchResult(customId, type, message, error);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ProviderBatchInfo? Batch(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || String(root, "id") is not { } id)
        {
            return null;
        }
        var counts = root.TryGetProperty("request_counts", out var c) && c.ValueKind == JsonValueKind.Object
            ? new ProviderBatchCounts(Int(c, "processing"), Int(c, "succeeded"), Int(c, "errored"), Int(c, "canceled"), Int(c, "expired"))
            : new ProviderBatchCounts(0, 0, 0, 0, 0);
        return new ProviderBatchInfo(id, String(root, "processing_status") ?? "", counts, Time(root, "created_at"), Time(root, "ended_at"), Time(root, "expires_at"));
    }

    private static DateTimeOffset? Time(JsonElement parent, string name) =>
        DateTimeOffset.TryParse(String(parent, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static int Int(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : 0;

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator;

/// <summary>
/// Builds a tool_use input that fits a JSON schema: <c>enum</c>/<c>const</c>, <c>anyOf</c>/<c>oneOf</c>
/// (first branch), and the types object, array, string, integer, number, boolean and null, honouring
/// min/max bounds. Every declared property is filled, so required ones always are.
/// </summary>
internal static class ToolInputGenerator
{
    private const int MaxDepth = 8;
    private static readonly string[] Words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];

    public static JsonObject Generate(JsonElement schema, ref DeterministicRandom random) =>
        Value(schema, ref random, 0) as JsonObject ?? [];

    private static JsonNode? Value(JsonElement schema, ref DeterministicRandom random, int depth)
    {
        if (schema.ValueKind != JsonValueKind.Object || depth > MaxDepth)
        {
            return new JsonObject();
        }
        if (schema.TryGetProperty("const", out var constant))
        {
            return Node(constant);
        }
        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            return Node(choices[random.Between(0, choices.GetArrayLength() - 1)]);
        }
        foreach (var union in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(union, out var branches) && branches.ValueKind == JsonValueKind.Array && branches.GetArrayLength() > 0)
            {
                return Value(branches[0], ref random, depth + 1);
            }
        }
        return TypeOf(schema) switch
        {
            "object" => Object(schema, ref random, depth),
            "array" => Array(schema, ref random, depth),
            "integer" => JsonValue.Create(Integer(schema, ref random)),
            "number" => JsonValue.Create(Math.Round(Number(schema, ref random), 2)),
            "boolean" => JsonValue.Create(random.NextUInt64() % 2 == 0),
            "null" => null,
            _ => JsonValue.Create(String(schema, ref random)),
        };
    }

    private static string TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return schema.TryGetProperty("properties", out _) ? "object" : "string";
        }
        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString()!;
        }
        // A list such as ["string", "null"]: prefer the first non-null type.
        foreach (var item in type.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && !item.ValueEquals("null"))
            {
                return item.GetString()!;
            }
        }
        return "null";
    }

    private static JsonObject Object(JsonElement schema, ref DeterministicRandom random, int depth)
    {
        var result = new JsonObject();
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                result[property.Name] = Value(property.Value, ref random, depth + 1);
            }
        }
        return result;
    }

    private static JsonArray Array(JsonElement schema, ref DeterministicRandom random, int depth)
    {
        var min = Bound(schema, "minItems") is { } minItems ? (int)minItems : 1;
        var max = Bound(schema, "maxItems") is { } maxItems ? (int)maxItems : Math.Max(min, 3);
        var count = random.Between(min, Math.Max(min, Math.Min(max, min + 2)));
        var items = schema.TryGetProperty("items", out var itemSchema) ? itemSchema : default;
        var result = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            result.Add(items.ValueKind == JsonValueKind.Object ? Value(items, ref random, depth + 1) : JsonValue.Create(Words[i % Words.Length]));
        }
        return result;
    }

    private static long Integer(JsonElement schema, ref DeterministicRandom random)
    {
        var min = (long)Math.Ceiling(Bound(schema, "minimum") ?? (Bound(schema, "exclusiveMinimum") + 1) ?? 0);
        var max = (long)Math.Floor(Bound(schema, "maximum") ?? (Bound(schema, "exclusiveMaximum") - 1) ?? Math.Max(min, 0) + 100);
        return max <= min ? min : min + (long)(random.NextUInt64() % (ulong)(max - min + 1));
    }

    private static double Number(JsonElement schema, ref DeterministicRandom random)
    {
        var min = Bound(schema, "minimum") ?? Bound(schema, "exclusiveMinimum") ?? 0;
        var max = Bound(schema, "maximum") ?? Bound(schema, "exclusiveMaximum") ?? min + 100;
        // Stay strictly inside so rounding and exclusive bounds both hold.
        var span = Math.Max(0, max - min);
        return span == 0 ? min : min + (span * (0.01 + (0.98 * random.NextDouble())));
    }

    private static string String(JsonElement schema, ref DeterministicRandom random)
    {
        var text = $"{Words[random.Between(0, Words.Length - 1)]} {Words[random.Between(0, Words.Length - 1)]}";
        var minLength = (int)(Bound(schema, "minLength") ?? 0);
        var maxLength = (int)(Bound(schema, "maxLength") ?? int.MaxValue);
        if (text.Length < minLength)
        {
            text = text.PadRight(minLength, 'x');
        }
        return text.Length > maxLength ? text[..maxLength] : text;
    }

    private static double? Bound(JsonElement schema, string name) =>
        schema.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static JsonNode? Node(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => JsonValue.Create(element.GetString()),
        JsonValueKind.Number when element.TryGetInt64(out var integer) => JsonValue.Create(integer),
        JsonValueKind.Number => JsonValue.Create(element.GetDouble()),
        JsonValueKind.True => JsonValue.Create(true),
        JsonValueKind.False => JsonValue.Create(false),
        JsonValueKind.Null => null,
        _ => JsonNode.Parse(element.GetRawText()),
    };
}

using System.Text.Json;

namespace Batch.Simulator;

internal static partial class RequestValidator
{
    private static readonly string[] SubschemaMaps = ["properties", "$defs", "definitions", "patternProperties"];
    private static readonly string[] SubschemaLists = ["anyOf", "allOf", "oneOf", "prefixItems"];
    private static readonly string[] Subschemas = ["items", "additionalProperties", "not"];

    /// <summary>
    /// <c>output_config: {"format": {"type": "json_schema", "schema": {...}}}</c> (structured outputs): the schema, whose
    /// objects must all say <c>"additionalProperties": false</c> as the API requires. It counts as input, after the tools.
    /// </summary>
    private static JsonElement? OutputConfig(JsonElement root, PromptPrefixBuilder prefix)
    {
        if (!root.TryGetProperty("output_config", out var config))
        {
            return null;
        }
        if (config.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("output_config: Input should be a valid dictionary");
        }
        foreach (var property in config.EnumerateObject())
        {
            if (property.Name is not ("format" or "effort"))
            {
                throw new InvalidRequestException($"output_config.{property.Name}: Extra inputs are not permitted");
            }
        }
        if (!config.TryGetProperty("format", out var format))
        {
            return null;
        }
        if (format.ValueKind != JsonValueKind.Object || !format.TryGetProperty("type", out var type) || !type.ValueEquals("json_schema"))
        {
            throw new InvalidRequestException("output_config.format.type: Input should be 'json_schema'");
        }
        if (!format.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("output_config.format.schema: Field required");
        }
        RequireClosedObjects(schema, "output_config.format.schema");
        var text = schema.GetRawText();
        prefix.Append("output_config");
        prefix.Append(text);
        prefix.AddTokens(ApproximateTokenizer.CountChars(text.Length));
        return schema;
    }

    private static void RequireClosedObjects(JsonElement schema, string path)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var isObject = schema.TryGetProperty("properties", out _) || (schema.TryGetProperty("type", out var type) && type.ValueEquals("object"));
        if (isObject && !(schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False))
        {
            throw new InvalidRequestException(
                $"{path}: For 'object' type, 'additionalProperties' must be explicitly set to false");
        }
        foreach (var name in Subschemas)
        {
            if (schema.TryGetProperty(name, out var child))
            {
                RequireClosedObjects(child, $"{path}.{name}");
            }
        }
        foreach (var name in SubschemaMaps)
        {
            if (schema.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in map.EnumerateObject())
                {
                    RequireClosedObjects(property.Value, $"{path}.{name}.{property.Name}");
                }
            }
        }
        foreach (var name in SubschemaLists)
        {
            if (schema.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    RequireClosedObjects(item, $"{path}.{name}.{i++}");
                }
            }
        }
    }
}

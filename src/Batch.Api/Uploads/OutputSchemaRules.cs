using System.Text.Json;
using Batch.Api.Problems;
using Batch.Data.Entities;
using Json.Schema;

namespace Batch.Api.Uploads;

/// <summary>
/// Checks a spec's <c>output_schema</c>, <c>output_mode</c> and <c>schema_retries</c> before the file is read: the schema
/// must be valid JSON Schema (draft 2020-12) with an object at the top, and one the chosen mode can carry. Errors name the
/// place in the schema, e.g. <c>spec.output_schema.properties.sentiment.type</c>.
/// </summary>
internal static class OutputSchemaRules
{
    private const int MaxSchemaRetries = 5;

    // Structured outputs take no numeric or length bounds (../shared facts: "no minimum, maxLength, ...").
    private static readonly string[] UnsupportedBounds =
    [
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
        "maxItems", "minProperties", "maxProperties",
    ];

    private static readonly string[] SchemaMaps = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"];
    private static readonly string[] SchemaLists = ["anyOf", "allOf", "oneOf", "prefixItems"];
    private static readonly string[] SingleSchemas =
        ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties"];

    /// <returns>The mode to store: <c>auto</c> becomes <c>tool</c> when the schema is one structured outputs cannot carry.</returns>
    public static OutputMode Check(JobSpec spec, UploadErrors errors)
    {
        var requested = spec.OutputMode switch
        {
            null or "auto" => OutputMode.Auto,
            "json_schema" => OutputMode.JsonSchema,
            "tool" => OutputMode.Tool,
            _ => (OutputMode?)null,
        };
        if (requested is null)
        {
            errors.ForField("spec.output_mode", "Must be \"auto\", \"json_schema\" or \"tool\".");
        }
        if (spec.SchemaRetries is < 0 or > MaxSchemaRetries)
        {
            errors.ForField("spec.schema_retries", $"Must be between 0 and {MaxSchemaRetries}.");
        }
        if (!spec.HasOutputSchema)
        {
            if (spec.OutputMode is not null)
            {
                errors.ForField("spec.output_mode", "Only used with output_schema.");
            }
            if (spec.SchemaRetries is not null)
            {
                errors.ForField("spec.schema_retries", "Only used with output_schema.");
            }
            return OutputMode.Auto;
        }

        var schema = spec.OutputSchema!.Value;
        const string field = "spec.output_schema";
        if (schema.ValueKind != JsonValueKind.Object)
        {
            errors.ForField(field, "Must be a JSON Schema object, such as {\"type\": \"object\", \"properties\": {...}}.");
            return OutputMode.Auto;
        }
        if (!schema.TryGetProperty("type", out var type) || !type.ValueEquals("object"))
        {
            errors.ForField(field + ".type", "Must be \"object\": each answer is one object, and each of its properties becomes a CSV column.");
        }
        if (spec.ToolChoice is { ValueKind: not JsonValueKind.Null })
        {
            errors.ForField("spec.tool_choice", "output_schema decides how the model answers; remove tool_choice.");
        }
        if (spec.Tools is { ValueKind: JsonValueKind.Array } tools
            && tools.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var name) && name.ValueEquals(OutputTool.Name)))
        {
            errors.ForField("spec.tools", $"The tool name '{OutputTool.Name}' is Batch's own for output_schema; rename this tool.");
        }
        var walk = new SchemaWalk();
        walk.Visit(schema, "");
        foreach (var (pointer, message) in walk.Universal)
        {
            errors.ForField(FieldOf(schema, pointer), message);
        }
        if (walk.Universal.Count > 0 || !IsValidJsonSchema(schema, errors))
        {
            return requested ?? OutputMode.Auto;
        }
        var unfit = walk.JsonSchemaOnly;
        unfit.AddRange(walk.RecursiveReferences());
        switch (requested)
        {
            case OutputMode.JsonSchema:
                foreach (var (pointer, message) in unfit)
                {
                    errors.ForField(FieldOf(schema, pointer), message + " (output_mode json_schema; \"tool\" or \"auto\" can carry it.)");
                }
                return OutputMode.JsonSchema;
            case OutputMode.Auto:
                // Structured outputs could not carry this schema on any model: every row uses the forced tool.
                return unfit.Count == 0 ? OutputMode.Auto : OutputMode.Tool;
            default:
                return OutputMode.Tool;
        }
    }

    /// <summary>Checks the schema against the draft 2020-12 meta-schema, then builds it as the worker will.</summary>
    private static bool IsValidJsonSchema(JsonElement schema, UploadErrors errors)
    {
        string? buildError = null;
        try
        {
            JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        }
        catch (Exception e) when (e is JsonSchemaException or RefResolutionException or ArgumentException or JsonException)
        {
            buildError = e.Message;
        }

        var results = MetaSchemas.Draft202012.Evaluate(schema, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        if (results.IsValid)
        {
            if (buildError is not null)
            {
                errors.ForField("spec.output_schema", $"Not valid JSON Schema: {buildError}");
            }
            return buildError is null;
        }
        var failures = new List<(string Pointer, List<string> Messages)>();
        CollectFailures(results, failures);
        foreach (var (pointer, messages) in failures)
        {
            // One place wrong: the builder's sentence ("'strin' is not a valid JSON Schema value type") says it best.
            var message = failures.Count == 1 && buildError is not null ? buildError : string.Join("; or ", messages);
            errors.ForField(FieldOf(schema, pointer), $"Not valid JSON Schema: {message}");
        }
        return false;
    }

    /// <summary>The leaves of the failing branches, by place in the schema, in order.</summary>
    private static void CollectFailures(EvaluationResults node, List<(string Pointer, List<string> Messages)> failures)
    {
        if (node.IsValid)
        {
            return;
        }
        if (node.Errors is { Count: > 0 } messages)
        {
            var pointer = node.InstanceLocation.ToString();
            var entry = failures.Find(f => f.Pointer == pointer);
            if (entry.Messages is null)
            {
                entry = (pointer, []);
                failures.Add(entry);
            }
            entry.Messages.AddRange(messages.Values.Where(m => !entry.Messages.Contains(m)));
        }
        foreach (var child in node.Details ?? [])
        {
            CollectFailures(child, failures);
        }
    }

    /// <summary><c>/properties/a/required/0</c> as <c>spec.output_schema.properties.a.required[0]</c>.</summary>
    private static string FieldOf(JsonElement schema, string pointer)
    {
        var field = "spec.output_schema";
        var at = schema;
        foreach (var segment in Segments(pointer))
        {
            if (at.ValueKind == JsonValueKind.Array && int.TryParse(segment, out var index) && index < at.GetArrayLength())
            {
                field += $"[{index}]";
                at = at[index];
            }
            else
            {
                field += "." + segment;
                at = at.ValueKind == JsonValueKind.Object && at.TryGetProperty(segment, out var next) ? next : default;
            }
        }
        return field;
    }

    private static IEnumerable<string> Segments(string pointer) =>
        pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));

    /// <summary>One pass over every subschema, noting what no mode and what structured outputs cannot carry.</summary>
    private sealed class SchemaWalk
    {
        private readonly List<(string Site, string Target)> _references = [];

        public List<(string Pointer, string Message)> Universal { get; } = [];

        public List<(string Pointer, string Message)> JsonSchemaOnly { get; } = [];

        public void Visit(JsonElement node, string pointer)
        {
            if (node.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            if (IsObjectSchema(node) && !(node.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False))
            {
                JsonSchemaOnly.Add((pointer + "/additionalProperties",
                    "Structured outputs need \"additionalProperties\": false on every object"));
            }
            foreach (var bound in UnsupportedBounds)
            {
                if (node.TryGetProperty(bound, out _))
                {
                    JsonSchemaOnly.Add(($"{pointer}/{bound}", $"Structured outputs take no numeric or length bounds such as \"{bound}\""));
                }
            }
            if (node.TryGetProperty("minItems", out var minItems) && !(minItems.TryGetInt32(out var least) && least <= 1))
            {
                JsonSchemaOnly.Add(($"{pointer}/minItems", "Structured outputs take \"minItems\" of 0 or 1 only"));
            }
            if (node.TryGetProperty("$ref", out var reference) && reference.ValueKind == JsonValueKind.String)
            {
                var target = reference.GetString()!;
                if (!target.StartsWith('#'))
                {
                    Universal.Add(($"{pointer}/$ref", "Only references inside the schema (\"#/$defs/...\") are supported."));
                }
                else
                {
                    _references.Add((pointer, Uri.UnescapeDataString(target[1..])));
                }
            }

            foreach (var name in SingleSchemas)
            {
                if (node.TryGetProperty(name, out var child))
                {
                    Visit(child, $"{pointer}/{name}");
                }
            }
            foreach (var name in SchemaMaps)
            {
                if (node.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in map.EnumerateObject())
                    {
                        Visit(property.Value, $"{pointer}/{name}/{Escape(property.Name)}");
                    }
                }
            }
            foreach (var name in SchemaLists)
            {
                if (node.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    var index = 0;
                    foreach (var item in list.EnumerateArray())
                    {
                        Visit(item, $"{pointer}/{name}/{index++}");
                    }
                }
            }
        }

        /// <summary>
        /// References that lead back into themselves: from the schema a reference points at, follow every reference
        /// inside it; coming back to where a reference started is recursion, which structured outputs refuse.
        /// </summary>
        public IEnumerable<(string Pointer, string Message)> RecursiveReferences()
        {
            foreach (var (site, target) in _references)
            {
                if (Reaches(target, site, [], 0))
                {
                    yield return ($"{site}/$ref", "Structured outputs take no recursive references");
                }
            }
        }

        private bool Reaches(string target, string site, HashSet<string> seen, int depth)
        {
            if (Contains(target, site))
            {
                return true;
            }
            if (!seen.Add(target) || depth > 64)
            {
                return false;
            }
            foreach (var (inner, next) in _references)
            {
                if (Contains(target, inner) && Reaches(next, site, seen, depth + 1))
                {
                    return true;
                }
            }
            return false;
        }

        private static bool Contains(string outer, string pointer) =>
            pointer == outer || pointer.StartsWith(outer + "/", StringComparison.Ordinal) || outer.Length == 0;

        private static bool IsObjectSchema(JsonElement node) =>
            node.TryGetProperty("properties", out _)
            || (node.TryGetProperty("type", out var type)
                && (type.ValueEquals("object") || (type.ValueKind == JsonValueKind.Array && type.EnumerateArray().Any(t => t.ValueEquals("object")))));

        private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
    }
}

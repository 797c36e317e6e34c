using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Batch.Worker.Requests;

/// <summary>
/// A JSON value written once and then placed into many request bodies as it is. Every row of a schema job carries the
/// same schema; as a node tree it would be cloned and written again for each request, as bytes it is copied.
/// </summary>
/// <remarks>
/// The attribute matters: a node made from a type info is written with the options of whoever serializes the body, and
/// without it their resolver would see an object with no properties and write <c>{}</c>.
/// </remarks>
[JsonConverter(typeof(Writer))]
internal sealed class SerializedJson
{
    private static readonly JsonTypeInfo<SerializedJson> TypeInfo =
        JsonMetadataServices.CreateValueInfo<SerializedJson>(new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() }, new Writer());

    private readonly byte[] _utf8;

    /// <param name="node">Written now, compactly; later changes to it are not seen.</param>
    public SerializedJson(JsonNode node) => _utf8 = JsonSerializer.SerializeToUtf8Bytes(node);

    /// <summary>A new node (a node has one parent) that writes the bytes; it is opaque to readers of the body's tree.</summary>
    public JsonValue ToNode() => JsonValue.Create(this, TypeInfo)!;

    private sealed class Writer : JsonConverter<SerializedJson>
    {
        public override SerializedJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Only written.");

        // Written by JsonSerializer from a parsed node, so it is valid JSON already.
        public override void Write(Utf8JsonWriter writer, SerializedJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value._utf8, skipInputValidation: true);
    }
}

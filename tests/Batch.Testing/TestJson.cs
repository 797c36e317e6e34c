using System.Text.Json;

namespace Batch.Testing;

/// <summary>The API's JSON conventions, for tests that read its answers.</summary>
public static class TestJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

using System.Text.Json.Serialization;

namespace Batch.Api.Problems;

/// <summary>One thing wrong with a request, placed as precisely as it can be: a file line (and column), or a field.</summary>
public sealed record UploadError(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Line,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Column,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field,
    string Message)
{
    public static UploadError AtLine(long line, string message, string? field = null, long? column = null) => new(line, column, field, message);

    public static UploadError ForField(string field, string message) => new(null, null, field, message);
}

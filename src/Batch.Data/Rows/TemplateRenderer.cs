using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Batch.Data.Rows;

/// <summary>
/// Fills a job's user template from one row: <c>{{column}}</c> (spaces inside the braces allowed) becomes the
/// row's value for that column: strings as they are, numbers and booleans as written, objects and arrays as
/// JSON, missing or null values as nothing. The template is parsed once per job.
/// </summary>
public sealed partial class TemplateRenderer
{
    private readonly (string Literal, string? Column)[] _parts;

    public TemplateRenderer(string template)
    {
        var parts = new List<(string, string?)>();
        var at = 0;
        foreach (Match match in Placeholder().Matches(template))
        {
            parts.Add((template[at..match.Index], match.Groups[1].Value));
            at = match.Index + match.Length;
        }
        parts.Add((template[at..], null));
        _parts = [.. parts];
        Length = template.Length;
    }

    /// <summary>The template's own length, to size the result.</summary>
    public int Length { get; }

    /// <param name="variables">The row's input: a JSON object of column values.</param>
    public string Render(JsonElement variables)
    {
        var text = new StringBuilder(Length + 64);
        foreach (var (literal, column) in _parts)
        {
            text.Append(literal);
            if (column is not null && variables.ValueKind == JsonValueKind.Object && variables.TryGetProperty(column, out var value))
            {
                text.Append(value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Null or JsonValueKind.Undefined => "",
                    _ => value.GetRawText(),
                });
            }
        }
        return text.ToString();
    }

    [GeneratedRegex(@"\{\{\s*([^{}]+?)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}

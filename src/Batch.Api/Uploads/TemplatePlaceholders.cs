using System.Text.RegularExpressions;

namespace Batch.Api.Uploads;

/// <summary>
/// The <c>{{column}}</c> placeholders of a template or system prompt. Whitespace inside the braces is
/// ignored, so <c>{{ review }}</c> names the column <c>review</c>.
/// </summary>
public static partial class TemplatePlaceholders
{
    public static IReadOnlyList<string> Find(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }
        var names = new List<string>();
        foreach (Match match in Placeholder().Matches(text))
        {
            var name = match.Groups[1].Value;
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }
        return names;
    }

    [GeneratedRegex(@"\{\{\s*([^{}]*?)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}

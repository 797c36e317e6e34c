using System.Text.RegularExpressions;
using Batch.Api.Problems;

namespace Batch.Api.Uploads;

/// <summary>
/// Gives each row its custom_id: the file's own, checked against Anthropic's pattern and for repeats within
/// the job, or one made from the row number. Only ids seen in the file are remembered (a million short ids
/// cost tens of MB); generated ids are unique by construction unless the file mixes both.
/// </summary>
public sealed partial class CustomIds(UploadErrors errors)
{
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

    public static string Generate(long rowNumber) => $"row-{rowNumber:D6}";

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    /// <summary>The id of row <paramref name="rowNumber"/> found on <paramref name="line"/>; records an error when it is unusable.</summary>
    public string Resolve(long line, long rowNumber, string? fromFile, bool fileMayMixIds)
    {
        if (fromFile is null)
        {
            var generated = Generate(rowNumber);
            if (fileMayMixIds)
            {
                Remember(line, generated, "custom_id");
            }
            return generated;
        }
        if (!IsValid(fromFile))
        {
            errors.AtLine(line, $"custom_id '{Shorten(fromFile)}' is not valid: use 1 to 64 letters, digits, '_' or '-'.", "custom_id");
            return fromFile;
        }
        Remember(line, fromFile, "custom_id");
        return fromFile;
    }

    private void Remember(long line, string id, string field)
    {
        if (!_seen.TryAdd(id, line))
        {
            errors.AtLine(line, $"custom_id '{id}' is already used on line {_seen[id]}; custom_ids must be unique within a job.", field);
        }
    }

    private static string Shorten(string id) => id.Length <= 80 ? id : id[..80] + "...";

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

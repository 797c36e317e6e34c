using System.Globalization;
using System.Text.RegularExpressions;

namespace Batch.Api.Uploads;

/// <summary>A spec's <c>deadline</c>: an RFC 3339 time with its offset, or a duration from now in days, hours, minutes and seconds.</summary>
public static partial class Deadlines
{
    /// <summary>Null when it reads; otherwise what is wrong, in words for the field's error.</summary>
    /// <param name="after">The duration, when the deadline was given as one (a schedule's re-run counts it from its own start).</param>
    public static string? TryParse(string text, DateTimeOffset now, out DateTimeOffset at, out TimeSpan? after)
    {
        after = null;
        at = default;
        if (Duration().Match(text) is { Success: true } duration && text.Length > 0)
        {
            var span = TimeSpan.FromDays(Part(duration, "d")) + TimeSpan.FromHours(Part(duration, "h"))
                + TimeSpan.FromMinutes(Part(duration, "m")) + TimeSpan.FromSeconds(Part(duration, "s"));
            if (span <= TimeSpan.Zero)
            {
                return "A duration must be longer than zero.";
            }
            after = span;
            at = now + span;
            return null;
        }
        if (!text.Contains('T', StringComparison.Ordinal) || !HasOffset(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out at))
        {
            return "An RFC 3339 time with its offset (2026-11-25T06:00:00Z, 2026-11-25T07:00:00+01:00) or a duration such as 30h, 90m or 1d12h.";
        }
        return at <= now ? $"The deadline {text} has passed." : null;
    }

    private static bool HasOffset(string text) => text.EndsWith('Z') || text.EndsWith('z') || OffsetAtEnd().IsMatch(text);

    private static int Part(Match match, string unit) =>
        match.Groups[unit].Success ? int.Parse(match.Groups[unit].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^(?:(?<d>\d{1,4})d)?(?:(?<h>\d{1,5})h)?(?:(?<m>\d{1,6})m)?(?:(?<s>\d{1,7})s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    [GeneratedRegex(@"[+-]\d{2}:\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetAtEnd();
}

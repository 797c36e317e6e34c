using System.Globalization;
using Batch.Api.Authentication;
using Batch.Jobs;

namespace Batch.Api.Reports;

/// <summary>What a cost report covers, from the query string, checked: whole UTC hours (the rollup's grain) in a time zone.</summary>
public sealed record CostReportRequest(DateTimeOffset From, DateTimeOffset To, TimeZoneInfo TimeZone, IReadOnlyList<string> GroupBy, string? Project, bool Csv)
{
    public static readonly string[] Groups = ["day", "hour", "model", "project", "account", "job"];

    /// <summary>The request, or the query parameter that is wrong and why.</summary>
    public static (CostReportRequest? Request, string? Field, string? Error) Parse(
        string? from, string? to, string? groupBy, string? project, string? format, string? timeZone, Caller caller, DateTimeOffset now)
    {
        var zone = ScheduleCron.TryFindTimeZone(timeZone ?? "UTC");
        if (zone is null)
        {
            return (null, "time_zone", "An IANA time zone id such as Europe/Berlin or America/New_York, or UTC.");
        }
        if (format is not (null or "json" or "csv"))
        {
            return (null, "format", "Either json or csv.");
        }
        var groups = (groupBy ?? "day").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (groups.Length == 0 || groups.Any(g => !Groups.Contains(g)) || groups.Distinct().Count() != groups.Length)
        {
            return (null, "group_by", $"A comma list of distinct keys among {string.Join(", ", Groups)}.");
        }
        if (project is not null && !caller.CanSee(project))
        {
            return (null, "project", "A project key sees its own project's costs only.");
        }

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        if (!TryInstant(from, zone, endOfDay: false, out var start))
        {
            return (null, "from", "A date (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00Z).");
        }
        if (!TryInstant(to, zone, endOfDay: true, out var end))
        {
            return (null, "to", "A date (2026-11-30, included) or an RFC 3339 time (2026-12-01T00:00:00Z, excluded).");
        }
        var first = FloorToHour(start ?? Midnight(monthStart, zone));
        var last = CeilingToHour(end ?? Midnight(monthStart.AddMonths(1), zone));
        if (last <= first)
        {
            return (null, "to", "Must be after from.");
        }
        return (new CostReportRequest(first, last, zone, groups, caller.IsAdmin ? project : caller.Project, format == "csv"), null, null);
    }

    /// <summary>A date is midnight in the zone (the day after, for an inclusive end); a time is itself.</summary>
    private static bool TryInstant(string? value, TimeZoneInfo zone, bool endOfDay, out DateTimeOffset? instant)
    {
        instant = null;
        if (value is null)
        {
            return true;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            instant = Midnight(endOfDay ? date.AddDays(1) : date, zone);
            return true;
        }
        if (DateTimeOffset.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            && (value.EndsWith('Z') || value.EndsWith('z') || value.Length > 6 && value[^6] is '+' or '-'))
        {
            instant = time;
            return true;
        }
        return false;
    }

    private static DateTimeOffset Midnight(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        // A midnight skipped by a daylight-saving change starts the day at the first moment that exists.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private static DateTimeOffset FloorToHour(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    private static DateTimeOffset CeilingToHour(DateTimeOffset at)
    {
        var floor = FloorToHour(at);
        return floor == at ? floor : floor.AddHours(1);
    }
}

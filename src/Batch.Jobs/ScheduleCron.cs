using Cronos;

namespace Batch.Jobs;

/// <summary>
/// A schedule's cron expression and time zone, checked before Hangfire is asked to run them, and the id the
/// schedule's recurring job has in Hangfire (and its dashboard).
/// </summary>
public static class ScheduleCron
{
    public const string Example = "0 6 * * 1-5";

    public static string RecurringJobId(Guid scheduleId) => $"schedule:{scheduleId}";

    /// <summary>
    /// Five fields (minute hour day-of-month month day-of-week) only: a schedule fires at most once a minute,
    /// which is what lets a retried firing recognise that its minute already ran.
    /// </summary>
    public static CronExpression? TryParse(string? cron, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(cron) || cron.Length > 100
            || cron.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length != 5)
        {
            error = $"Five cron fields (minute hour day-of-month month day-of-week), such as '{Example}' for 06:00 on weekdays.";
            return null;
        }
        try
        {
            return CronExpression.Parse(cron, CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            error = $"Not a valid cron expression: {e.Message}";
            return null;
        }
    }

    /// <summary>An IANA time zone id such as Europe/Berlin, or UTC.</summary>
    public static TimeZoneInfo? TryFindTimeZone(string? id) =>
        !string.IsNullOrWhiteSpace(id) && id.Length <= 100 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    /// <summary>The first firing after <paramref name="from"/>, in UTC; null for an expression that never fires again.</summary>
    public static DateTimeOffset? NextOccurrence(string cron, string timeZone, DateTimeOffset from) =>
        TryParse(cron, out _) is { } expression && TryFindTimeZone(timeZone) is { } zone
            ? expression.GetNextOccurrence(from, zone)?.ToUniversalTime()
            : null;
}

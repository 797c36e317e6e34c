using System.Globalization;
using System.Net;
using Batch.Api.Jobs;
using Batch.Data.Entities;

namespace Batch.Api.Dashboard;

/// <summary>
/// The small pieces every dashboard page draws: encoded text, numbers, money, durations, times, status labels and
/// progress bars. Anything that came from a user or a model goes through <see cref="E"/>.
/// </summary>
internal static class Markup
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public const string None = "<span class=\"text-muted\">–</span>";

    /// <summary>HTML-encodes text for an element or a quoted attribute.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Count(long value) => value.ToString("N0", Invariant);

    public static string Usd(decimal value) =>
        (value < 0 ? "-$" : "$") + Math.Abs(value).ToString(Math.Abs(value) >= 100 ? "N2" : "N4", Invariant);

    public static string Percent(double? fraction) => fraction is { } f ? (f * 100).ToString("0.#", Invariant) + " %" : None;

    public static string Rate(double? perSecond) => perSecond is { } r ? r.ToString(r >= 100 ? "N0" : "0.0", Invariant) + "/s" : None;

    public static string Duration(double? seconds)
    {
        if (seconds is not { } s)
        {
            return None;
        }
        var span = TimeSpan.FromSeconds(Math.Max(0, Math.Round(s)));
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s"
            : $"{span.Seconds} s";
    }

    /// <summary>A time Hangfire's script shows relative to now ("3 minutes ago"), with the exact time as its title.</summary>
    public static string Moment(DateTimeOffset? at) => at is { } t
        ? $"<span data-moment=\"{t.ToUnixTimeSeconds().ToString(Invariant)}\" title=\"{E(t.ToString("u", Invariant))}\">{E(t.ToString("u", Invariant))}</span>"
        : None;

    /// <summary>At most <paramref name="max"/> characters, on one line, with an ellipsis when cut.</summary>
    public static string Shorten(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : line[..max].TrimEnd() + "…";
    }

    public static string StatusName(JobStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>A status in the colours Hangfire gives job states.</summary>
    public static string StatusLabel(JobStatus status)
    {
        var state = status switch
        {
            JobStatus.Queued => "active",
            JobStatus.Running => "info",
            JobStatus.Paused => "warning",
            JobStatus.Completed => "success",
            JobStatus.Failed => "danger",
            _ => "inactive",
        };
        return $"<span class=\"label label-default label-state-{state}\" data-status=\"{StatusName(status)}\">{StatusName(status)}</span>";
    }

    // The kinds of ended rows a progress bar draws, in its order, with the Bootstrap-style class of each segment.
    private static readonly (string Name, string Kind, Func<JobRowCounts, int> Rows)[] Ended =
    [
        ("succeeded", "success", c => c.Succeeded), ("failed", "danger", c => c.Failed),
        ("canceled", "canceled", c => c.Canceled), ("expired", "expired", c => c.Expired),
    ];

    /// <summary>A bar split into succeeded, failed, canceled and expired rows; the rest of its width is what is still to do.</summary>
    public static string ProgressBar(JobRowCounts counts, int total)
    {
        var title = string.Join(", ", Ended.Select(e => $"{Count(e.Rows(counts))} {e.Name}")) + $", {Count(ToDo(counts, total))} to do";
        return $"""
            <div class="progress batch-progress" title="{E(title)}" role="progressbar" aria-label="{E(title)}" data-succeeded="{counts.Succeeded}" data-expired="{counts.Expired}" data-total="{total}">{string.Concat(Ended.Select(e => Segment(e.Kind, e.Rows(counts), total)))}</div>
            """;
    }

    /// <summary>What each colour of a progress bar means: with each kind's rows for one batch, or without for a list of them.</summary>
    public static string ProgressLegend(JobRowCounts? counts, int total)
    {
        string Item(string name, string kind, int? rows) =>
            $"<span class=\"batch-legend-item\" data-legend=\"{name.Replace(' ', '_')}\"><span class=\"batch-swatch progress-bar-{kind}\"></span>{(rows is { } n ? Count(n) + " " : "")}{name}</span>";
        var ended = Ended.Select(e => Item(e.Name, e.Kind, counts is null ? null : e.Rows(counts)));
        return $"<p class=\"batch-legend small text-muted\">{string.Concat(ended)}{Item("to do", "to-do", counts is null ? null : ToDo(counts, total))}</p>";
    }

    private static int ToDo(JobRowCounts counts, int total) => Math.Max(0, total - Ended.Sum(e => e.Rows(counts)));

    private static string Segment(string kind, int rows, int total) => rows == 0 || total == 0
        ? ""
        : $"<div class=\"progress-bar progress-bar-{kind}\" style=\"width: {(100.0 * rows / total).ToString("0.###", Invariant)}%\"></div>";
}

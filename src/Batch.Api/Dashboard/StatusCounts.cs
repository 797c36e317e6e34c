using Batch.Data.Entities;
using Hangfire.Dashboard;
using Npgsql;

namespace Batch.Api.Dashboard;

/// <summary>
/// How many batches are in each status: one grouped count (the status index) per request, shared by the navigation
/// bar's metrics, the status filter and Hangfire's metric polling.
/// </summary>
internal static class StatusCounts
{
    private const string Sql = "SELECT status, count(*)::int FROM batch.jobs WHERE deleted_at IS NULL GROUP BY status";
    private const string ItemKey = "batch:status-counts";

    public static readonly DashboardMetric Running = new("batches:running", "Running batches", page => CountMetric(page, JobStatus.Running, MetricStyle.Info, always: true));
    public static readonly DashboardMetric PausedOrNull = new("batches:paused-or-null", "Paused batches", page => CountMetric(page, JobStatus.Paused, MetricStyle.Warning, always: false));
    public static readonly DashboardMetric All = new("batches:all", "All batches", page => new Metric(Of(page.Context).Values.Sum()));

    /// <summary>One metric per status, for the status filter.</summary>
    public static readonly IReadOnlyDictionary<JobStatus, DashboardMetric> ByStatus = Enum.GetValues<JobStatus>().ToDictionary(
        status => status,
        status => new DashboardMetric($"batches:{Markup.StatusName(status)}", $"{Markup.StatusName(status)} batches", page => new Metric(Of(page.Context).GetValueOrDefault(status))));

    public static IEnumerable<DashboardMetric> Metrics => [Running, PausedOrNull, All, .. ByStatus.Values];

    /// <summary>The counts of this request, read once (metrics are drawn synchronously, so this read is too).</summary>
    public static IReadOnlyDictionary<JobStatus, int> Of(DashboardContext context)
    {
        var items = context.GetHttpContext().Items;
        if (items[ItemKey] is IReadOnlyDictionary<JobStatus, int> counts)
        {
            return counts;
        }
        using var command = context.Service<NpgsqlDataSource>().CreateCommand(Sql);
        using var reader = command.ExecuteReader();
        var read = new Dictionary<JobStatus, int>();
        while (reader.Read())
        {
            read[(JobStatus)reader.GetInt16(0)] = reader.GetInt32(1);
        }
        items[ItemKey] = read;
        return read;
    }

    private static Metric? CountMetric(RazorPage page, JobStatus status, MetricStyle style, bool always)
    {
        var count = Of(page.Context).GetValueOrDefault(status);
        return count == 0 && !always
            ? null
            : new Metric(count) { Style = count > 0 ? style : MetricStyle.Default, Highlighted = count > 0, Title = $"{count} {Markup.StatusName(status)}" };
    }
}

using System.Globalization;
using System.Text;
using Batch.Api.Reports;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static Batch.Api.Dashboard.Markup;

namespace Batch.Api.Dashboard;

/// <summary>A calendar month (UTC) of the cost rollup: by day, by model, by project.</summary>
internal sealed record CostsModel(DateOnly Month, CostReport ByDay, CostReport ByModel, CostReport ByProject)
{
    public static async Task<CostsModel?> LoadAsync(DashboardContext context)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var month = DateOnly.TryParseExact(context.Query("month"), "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var asked)
            ? asked
            : new DateOnly(today.Year, today.Month, 1);
        var from = new DateTimeOffset(month.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var reports = context.Service<CostReports>();
        var cancellationToken = context.Aborted();
        Task<CostReport> Report(string group) =>
            reports.ReadAsync(new CostReportRequest(from, from.AddMonths(1), TimeZoneInfo.Utc, [group], Project: null, Csv: false), cancellationToken);
        return new CostsModel(month, await Report("day"), await Report("model"), await Report("project"));
    }
}

/// <summary>
/// <c>/hangfire/costs</c>: a month's spend by day (a chart), by model and by project, and what the cache saved. It reads
/// the hourly cost rollup, as the cost reports do, never the rows.
/// </summary>
internal sealed class CostsPage(CostsModel model) : RazorPage
{
    public const string Route = "/costs";

    public override void Execute()
    {
        Layout = new LayoutPage("Costs");
        var month = model.Month.ToString("MMMM yyyy", CultureInfo.InvariantCulture);
        var total = model.ByDay.Total;
        var chart = new LiveAnswer(new Dictionary<string, string>(), new Dictionary<string, ChartData> { ["days"] = DaysChart() });
        WriteLiteral($"""
            <div class="row"><div class="col-md-12">
              <h1 id="page-title" class="page-header">Costs <small>{E(month)} (UTC)</small></h1>
              <div class="btn-toolbar">
                <div class="btn-group">
                  <a class="btn btn-default btn-sm" href="{E(MonthLink(-1))}">Previous month</a>
                  <a class="btn btn-default btn-sm" href="{E(MonthLink(1))}">Next month</a>
                </div>
              </div>
              <div class="row batch-cost-totals">
                <div class="col-sm-3"><div class="batch-figure"><span>Spent</span><strong data-cost="total">{Usd(total.CostUsd)}</strong></div></div>
                <div class="col-sm-3"><div class="batch-figure"><span>Cache saved</span><strong data-cost="cache-savings">{Usd(total.CacheSavingsUsd)}</strong></div></div>
                <div class="col-sm-3"><div class="batch-figure"><span>Without the cache</span><strong>{Usd(total.CostUsd + total.CacheSavingsUsd)}</strong></div></div>
                <div class="col-sm-3"><div class="batch-figure"><span>Rows</span><strong>{Count(total.Rows)}</strong></div></div>
              </div>
              <h3>By day</h3>
              <div class="batch-chart batch-chart-wide"><canvas data-chart="days" aria-label="Spend by day"></canvas></div>
              <div class="row">
                <div class="col-md-6"><h3>By model</h3>{Table(model.ByModel, l => E(l.Model))}</div>
                <div class="col-md-6"><h3>By project</h3>{Table(model.ByProject, l => E(l.Project))}</div>
              </div>
              <script type="application/json" data-batch-initial>{chart.ToJson()}</script>
            </div></div>
            """);
    }

    private string MonthLink(int months) => Url.To(Route) + "?month=" + model.Month.AddMonths(months).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private ChartData DaysChart()
    {
        var byDay = model.ByDay.Data.ToDictionary(l => l.Day!.Value);
        var days = Enumerable.Range(0, DateTime.DaysInMonth(model.Month.Year, model.Month.Month)).Select(model.Month.AddDays).ToList();
        return new ChartData("bar", Stacked: false, "day",
            [.. days.Select(d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds())],
            [
                new ChartSeries("Spent (USD)", "#337ab7", [.. days.Select(d => (double)(byDay.GetValueOrDefault(d)?.CostUsd ?? 0))]),
                new ChartSeries("Cache saved (USD)", "#6FCD6D", [.. days.Select(d => (double)(byDay.GetValueOrDefault(d)?.CacheSavingsUsd ?? 0))]),
            ],
            YLabel: "USD");
    }

    private static string Table(CostReport report, Func<CostReportLine, string> name)
    {
        if (report.Data.Count == 0)
        {
            return "<p class=\"text-muted\">Nothing spent this month.</p>";
        }
        var rows = new StringBuilder();
        foreach (var line in report.Data.OrderByDescending(l => l.CostUsd))
        {
            rows.Append($"""
                <tr><td class="word-break">{name(line)}</td><td class="align-right">{Count(line.Rows)}</td>
                  <td class="align-right">{Count(line.InputTokens + line.CacheWrite5mTokens + line.CacheWrite1hTokens + line.CacheReadTokens + line.OutputTokens)}</td>
                  <td class="align-right">{Usd(line.CostUsd)}</td><td class="align-right">{Usd(line.CacheSavingsUsd)}</td></tr>
                """);
        }
        return $"""
            <table class="table table-condensed">
              <thead><tr><th></th><th class="align-right">Rows</th><th class="align-right">Tokens</th><th class="align-right">Spent</th><th class="align-right">Cache saved</th></tr></thead>
              <tbody>{rows}</tbody>
            </table>
            """;
    }
}

using System.Text;
using Batch.Budgets;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static Batch.Api.Dashboard.Markup;

namespace Batch.Api.Dashboard;

/// <summary>
/// <c>/hangfire/budgets</c>: for each account and model class, the RPM / input-TPM / output-TPM limits, the use over the
/// last minute, what is in flight, any pause a 429 set, and a live chart of the last ten minutes with the 429s seen.
/// </summary>
internal sealed class BudgetsPage(BudgetsModel model) : RazorPage
{
    public const string Route = "/budgets";
    public const string LiveRoute = "/budgets/live";

    private static readonly (string Name, string Color)[] Dimensions = [("Requests", "#337ab7"), ("Input tokens", "#f0ad4e"), ("Output tokens", "#6FCD6D")];

    public override void Execute()
    {
        Layout = new LayoutPage("Budgets");
        var live = Live(model);
        var html = new StringBuilder($"""
            <div class="row"><div class="col-md-12">
              <h1 id="page-title" class="page-header">Budgets</h1>
              <p class="text-muted">Every worker shares these per-minute budgets through the database. The charts show the use of the last
                minute at each moment of the last ten, as a share of each limit, and the rate-limit 429s the provider answered.</p>
              <div data-batch-live="{E(Url.To(LiveRoute))}">
            """);
        if (model.Budgets.Count == 0)
        {
            html.Append("<div class=\"alert alert-info\">No budget has been used yet: one is made for each account and model class at its first request.</div>");
        }
        foreach (var account in model.Budgets.GroupBy(b => b.Account))
        {
            html.Append($"<h2 class=\"batch-account\">Account {E(account.Key)}</h2><div class=\"row\">");
            foreach (var budget in account)
            {
                html.Append($"""
                    <div class="col-md-6 batch-budget">
                      <h3>{E(budget.Report.ModelClass)}</h3>
                      <div data-region="{E(budget.Key)}">{live.Regions[budget.Key]}</div>
                      <div class="batch-chart"><canvas data-chart="{E(budget.Key)}" aria-label="Use of {E(budget.Key)} over the last ten minutes"></canvas></div>
                    </div>
                    """);
            }
            html.Append("</div>");
        }
        html.Append($"""
              </div>
              <script type="application/json" data-batch-initial>{(live with { Regions = new Dictionary<string, string>() }).ToJson()}</script>
            </div></div>
            """);
        WriteLiteral(html.ToString());
    }

    public static LiveAnswer Live(BudgetsModel model, DashboardContext context) => Live(model);

    private static LiveAnswer Live(BudgetsModel model) => new(
        model.Budgets.ToDictionary(b => b.Key, Table),
        model.Budgets.ToDictionary(b => b.Key, Chart));

    private static string Table(BudgetView budget)
    {
        var report = budget.Report;
        var rows = new StringBuilder();
        foreach (var (dimension, (name, _)) in new[] { report.Requests, report.InputTokens, report.OutputTokens }.Zip(Dimensions))
        {
            var share = dimension.Limit == 0 ? (double?)null : (double)dimension.UsedLastMinute / dimension.Limit;
            rows.Append($"""
                <tr><td>{name}</td><td class="align-right">{(dimension.Limit == 0 ? "unlimited" : Count(dimension.Limit))}</td>
                  <td class="align-right">{Count(dimension.UsedLastMinute)}</td><td class="align-right">{Percent(share)}</td>
                  <td class="align-right">{Count(dimension.InFlight)}</td></tr>
                """);
        }
        var paused = report.PausedUntil is { } until && until > budget.Now
            ? $"<span class=\"label label-default label-state-warning\">paused until {E(until.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))} UTC</span> {Moment(until)}"
            : "<span class=\"text-muted\">not paused</span>";
        return $"""
            <table class="table table-condensed batch-budget-table">
              <thead><tr><th></th><th class="align-right">Limit / min</th><th class="align-right">Used, last minute</th><th class="align-right">Of limit</th><th class="align-right">In flight</th></tr></thead>
              <tbody>{rows}</tbody>
            </table>
            <p class="small">429s in the last ten minutes: <strong data-budget-429="{E(budget.Key)}">{Count(budget.RateLimited)}</strong> · {paused}</p>
            """;
    }

    private static ChartData Chart(BudgetView budget)
    {
        var report = budget.Report;
        var limits = new[] { report.Requests.Limit, report.InputTokens.Limit, report.OutputTokens.Limit };
        var used = new Func<BudgetPoint, long>[] { p => p.Requests, p => p.InputTokens, p => p.OutputTokens };
        var series = new List<ChartSeries>();
        for (var i = 0; i < limits.Length; i++)
        {
            if (limits[i] > 0)
            {
                var limit = limits[i];
                var use = used[i];
                series.Add(new ChartSeries($"{Dimensions[i].Name} (% of {Count(limit)}/min)", Dimensions[i].Color,
                    [.. budget.History.Select(p => Math.Round(100.0 * use(p) / limit, 1))]));
            }
        }
        series.Add(new ChartSeries("429s", "#D55251", [.. budget.History.Select(p => (double)p.RateLimited)], Axis: "right", Kind: "bar"));
        return new ChartData("line", Stacked: false, "minute", [.. budget.History.Select(p => p.At.ToUnixTimeMilliseconds())], series, YLabel: "% of limit");
    }
}

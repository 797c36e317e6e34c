using System.Text;
using Batch.Data.Entities;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static Batch.Api.Dashboard.Markup;

namespace Batch.Api.Dashboard;

/// <summary>
/// <c>/hangfire/batches</c>: every batch with its progress, pace, tokens and cost; filters by status (the sidebar, with
/// counts) and project; paged; the table refreshes live.
/// </summary>
internal sealed class BatchesPage(BatchesModel model) : RazorPage
{
    public const string Route = "/batches";
    public const string LiveRoute = "/batches/live";

    public override void Execute()
    {
        Layout = new LayoutPage("Batches");
        var statusFilter = new List<Func<RazorPage, MenuItem>>
        {
            page => new MenuItem("All", model.Link(page.Url, Route, 0, status: null, keepStatus: false)) { Active = model.Status is null, Metric = StatusCounts.All },
        };
        statusFilter.AddRange(StatusCounts.ByStatus.Select(s => (Func<RazorPage, MenuItem>)(page =>
            new MenuItem(StatusName(s.Key), model.Link(page.Url, Route, 0, s.Key, keepStatus: false)) { Active = model.Status == s.Key, Metric = s.Value })));

        WriteLiteral($"""
            <div class="row">
              <div class="col-md-3">{Html.SidebarMenu(statusFilter)}</div>
              <div class="col-md-9">
                <h1 id="page-title" class="page-header">Batches</h1>
                {ProjectFilter()}
                <div data-batch-live="{E(model.Link(Url, LiveRoute, model.From))}">
                  <div data-region="table">{Table(model, Url)}</div>
                </div>
              </div>
            </div>
            """);
    }

    public static LiveAnswer Live(BatchesModel model, DashboardContext context) =>
        new(new Dictionary<string, string> { ["table"] = Table(model, new UrlHelper(context)) }, new Dictionary<string, ChartData>());

    private string ProjectFilter()
    {
        var options = new StringBuilder($"<option value=\"\">All projects</option>");
        foreach (var project in model.Projects)
        {
            options.Append($"<option value=\"{E(project)}\"{(project == model.Project ? " selected" : "")}>{E(project)}</option>");
        }
        return $"""
            <form class="form-inline batch-filters" method="get" action="{E(Url.To(Route))}">
              {(model.Status is { } status ? $"<input type=\"hidden\" name=\"status\" value=\"{StatusName(status)}\">" : "")}
              <label for="project-filter">Project</label>
              <select id="project-filter" name="project" class="form-control input-sm" data-batch-autosubmit>{options}</select>
              <noscript><button type="submit" class="btn btn-default btn-sm">Filter</button></noscript>
            </form>
            """;
    }

    /// <summary>The list itself and its pager: drawn for the page and for each live refresh.</summary>
    internal static string Table(BatchesModel model, UrlHelper url)
    {
        if (model.Rows.Count == 0)
        {
            return "<div class=\"alert alert-info\">No batches match.</div>";
        }
        var html = new StringBuilder(ProgressLegend(counts: null, total: 0));
        html.Append("""
            <div class="table-responsive">
            <table class="table table-hover batches-table">
              <thead><tr>
                <th>Batch</th><th>Status</th><th class="batch-progress-column">Progress</th><th class="align-right">Rows/s</th>
                <th class="align-right">Time left</th><th class="align-right">Tokens</th><th class="align-right">Cost</th>
                <th class="align-right">Cache hit</th><th>Created</th><th>Started</th><th>Finished</th>
              </tr></thead>
              <tbody>
            """);
        foreach (var row in model.Rows)
        {
            var job = row.Job;
            var tokens = job.Tokens;
            var tokenTitle = $"input {Count(tokens.Input)}, cache write {Count(tokens.CacheWrite5m + tokens.CacheWrite1h)}, cache read {Count(tokens.CacheRead)}, output {Count(tokens.Output)}";
            html.Append($"""
                <tr data-batch-id="{job.Id}">
                  <td class="batch-name-cell"><a class="batch-name" href="{E(url.To($"/batches/{job.Id}"))}">{E(job.Name)}</a>
                    <div class="text-muted small">{E(job.Project)} · {E(job.Model)}</div></td>
                  <td>{StatusLabel(job.Status)}</td>
                  <td>{ProgressBar(job.Counts, job.RowCount)}
                    <div class="small text-muted">{Count(job.Progress.Done)} / {Count(job.RowCount)}</div></td>
                  <td class="align-right">{Rate(row.RowsPerSecond)}</td>
                  <td class="align-right">{Duration(row.SecondsLeft)}</td>
                  <td class="align-right" title="{E(tokenTitle)}">{Count(row.Tokens)}</td>
                  <td class="align-right">{Usd(job.CostUsd)}</td>
                  <td class="align-right">{Percent(row.CacheHitRate)}</td>
                  <td>{Moment(job.CreatedAt)}</td>
                  <td>{Moment(job.StartedAt)}</td>
                  <td>{Moment(job.FinishedAt)}</td>
                </tr>
                """);
        }
        html.Append("</tbody></table></div>");
        html.Append(Pager(model, url));
        return html.ToString();
    }

    private static string Pager(BatchesModel model, UrlHelper url)
    {
        var last = Math.Min(model.From + model.Rows.Count, model.Total);
        var previous = model.From > 0
            ? $"<a class=\"btn btn-default\" href=\"{E(model.Link(url, Route, Math.Max(0, model.From - model.Count)))}\">Previous</a>"
            : "<a class=\"btn btn-default disabled\" href=\"#\">Previous</a>";
        var next = last < model.Total
            ? $"<a class=\"btn btn-default\" href=\"{E(model.Link(url, Route, model.From + model.Count))}\">Next</a>"
            : "<a class=\"btn btn-default disabled\" href=\"#\">Next</a>";
        return $"""
            <div class="btn-toolbar">
              <div class="btn-group paginator">{previous}{next}</div>
              <div class="btn-toolbar-spacer"></div>
              <div class="btn-toolbar-label">{Count(model.From + 1)}–{Count(last)} of {Count(model.Total)}</div>
            </div>
            """;
    }
}

using System.Text;
using System.Text.Json;
using Batch.Api.Jobs;
using Batch.Data.Entities;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static Batch.Api.Dashboard.Markup;

namespace Batch.Api.Dashboard;

/// <summary>
/// <c>/hangfire/batches/{id}</c>: one batch's counters, pace and charts, cost by kind, errors, latest results, spec and
/// schedules, with its buttons and downloads. Everything but the spec refreshes live.
/// </summary>
internal sealed class BatchPage(BatchModel model) : RazorPage
{
    public const string Route = "/batches/(?<id>[0-9a-fA-F-]{36})";
    public const string LiveRoute = Route + "/live";

    private static readonly string[] Colors = ["#6FCD6D", "#D55251", "#337ab7", "#f0ad4e", "#5bc0de", "#777777"];

    public override void Execute()
    {
        var job = model.Job;
        Layout = new LayoutPage(job.Name);
        var live = Live(model, IsReadOnly, Url);
        WriteLiteral($"""
            <div class="row"><div class="col-md-12">
              <h1 id="page-title" class="page-header word-break">{E(job.Name)}</h1>
              <ol class="breadcrumb"><li><a href="{E(Url.To(BatchesPage.Route))}">Batches</a></li><li class="active">{E(Shorten(job.Name, 80))}</li></ol>
              <div data-batch-live="{E(Url.To($"/batches/{job.Id}/live"))}">
                <div class="row">
                  <div class="col-md-8" data-region="summary">{live.Regions["summary"]}</div>
                  <div class="col-md-4">
                    <div data-region="actions">{live.Regions["actions"]}</div>
                    <div class="alert alert-danger batch-action-error" role="alert" hidden></div>
                    {Downloads()}
                  </div>
                </div>
                <div class="row">
                  <div class="col-md-6"><h3>Rows per {E(Bucket(model.History))}</h3><div class="batch-chart"><canvas data-chart="rows" aria-label="Rows per {E(Bucket(model.History))}"></canvas></div></div>
                  <div class="col-md-6"><h3>Tokens per {E(Bucket(model.History))}</h3><div class="batch-chart"><canvas data-chart="tokens" aria-label="Tokens per {E(Bucket(model.History))}"></canvas></div></div>
                </div>
                <div class="row">
                  <div class="col-md-6"><h3>Cost</h3><div data-region="cost">{live.Regions["cost"]}</div></div>
                  <div class="col-md-6"><h3>Errors</h3><div data-region="errors">{live.Regions["errors"]}</div></div>
                </div>
                <h3>Latest results</h3>
                <div data-region="recent">{live.Regions["recent"]}</div>
              </div>
              <div class="row">
                <div class="col-md-8"><h3>Spec</h3>{Spec()}</div>
                <div class="col-md-4"><h3>Schedule</h3>{Schedules()}</div>
              </div>
              <script type="application/json" data-batch-initial>{(live with { Regions = new Dictionary<string, string>() }).ToJson()}</script>
            </div></div>
            """);
    }

    public static LiveAnswer Live(BatchModel model, DashboardContext context) => Live(model, context.IsReadOnly, new UrlHelper(context));

    private static LiveAnswer Live(BatchModel model, bool readOnly, UrlHelper url) => new(
        new Dictionary<string, string>
        {
            ["summary"] = Summary(model),
            ["actions"] = Actions(model, readOnly, url),
            ["cost"] = Cost(model),
            ["errors"] = Errors(model),
            ["recent"] = Recent(model),
        },
        Charts(model.History));

    private static string Bucket(JobHistory history) => history.Minutes == 1 ? "minute" : $"{history.Minutes} minutes";

    private static string Summary(BatchModel model)
    {
        var job = model.Job;
        var counts = job.Counts;
        var tokens = job.Tokens;
        var reason = job.StatusReason is { Length: > 0 } text ? $"<p class=\"batch-status-reason\">{E(text)}</p>" : "";
        var notes = string.Concat(new[] { job.CacheNote }.Concat(job.Notes).Where(n => !string.IsNullOrEmpty(n)).Select(n => $"<p class=\"text-muted small\">{E(n)}</p>"));
        return $"""
            <p class="batch-status">{StatusLabel(job.Status)} <span class="text-muted">{E(job.Project)} · {E(job.Model)} · account {E(job.Account)}</span></p>
            {reason}{notes}
            {ProgressBar(counts, job.RowCount)}
            {ProgressLegend(counts, job.RowCount)}
            <table class="table table-condensed batch-counters">
              <tr><th>Rows</th><td>{Count(job.RowCount)} <span class="text-muted">({Percent(job.Progress.Fraction)} done)</span></td><th>Pending</th><td data-count="pending">{Count(counts.Pending)}</td>
                  <th>Claimed</th><td data-count="claimed">{Count(counts.Claimed)}</td><th>In flight</th><td data-count="in_flight">{Count(counts.InFlight)}</td></tr>
              <tr><th>Succeeded</th><td data-count="succeeded">{Count(counts.Succeeded)}</td><th>Failed</th><td data-count="failed">{Count(counts.Failed)}</td>
                  <th>Canceled</th><td data-count="canceled">{Count(counts.Canceled)}</td><th>Expired</th><td data-count="expired">{Count(counts.Expired)}</td></tr>
              <tr><th>Rows/s</th><td>{Rate(model.RowsPerSecond)}</td><th>Time left</th><td>{Duration(BatchesModel.SecondsLeft(job, model.RowsPerSecond))}</td>
                  <th>Cost</th><td>{Usd(job.CostUsd)}</td><th>Cap</th><td>{(job.MaxCostUsd is { } cap ? Usd(cap) : None)}</td></tr>
              <tr><th>Input</th><td>{Count(tokens.Input)}</td><th>Cache write</th><td>{Count(tokens.CacheWrite5m + tokens.CacheWrite1h)}</td>
                  <th>Cache read</th><td>{Count(tokens.CacheRead)}</td><th>Output</th><td>{Count(tokens.Output)}</td></tr>
              <tr><th>Created</th><td>{Moment(job.CreatedAt)}</td><th>Started</th><td>{Moment(job.StartedAt)}</td>
                  <th>Finished</th><td>{Moment(job.FinishedAt)}</td><th>Cache hit</th><td>{Percent(BatchListRow.CacheHit(tokens))}</td></tr>
            </table>
            """;
    }

    /// <summary>The lifecycle buttons the batch's status allows; none where the dashboard is read-only.</summary>
    private static string Actions(BatchModel model, bool readOnly, UrlHelper url)
    {
        if (readOnly)
        {
            return "";
        }
        var job = model.Job;
        var buttons = new StringBuilder();
        void Button(string action, string text, string style, string? confirm = null) => buttons.Append(
            $"<button type=\"button\" class=\"btn btn-sm {style}\" data-batch-action=\"{E(url.To($"/batches/{job.Id}/{action}"))}\"{(confirm is null ? "" : $" data-confirm=\"{E(confirm)}\"")}>{text}</button> ");
        if (job.Status is JobStatus.Queued or JobStatus.Running)
        {
            Button("pause", "Pause", "btn-default");
        }
        if (job.Status == JobStatus.Paused)
        {
            Button("resume", "Resume", "btn-primary");
        }
        if (job.Status is JobStatus.Queued or JobStatus.Running or JobStatus.Paused)
        {
            Button("cancel", "Cancel", "btn-danger", "Cancel this batch? Rows not yet sent are canceled.");
        }
        if (job.Status is JobStatus.Completed or JobStatus.Failed && job.Counts.Failed > 0)
        {
            Button("retry-failed", "Retry failed rows", "btn-default");
        }
        return buttons.Length == 0 ? "" : $"<div class=\"btn-toolbar batch-actions\">{buttons}</div>";
    }

    private string Downloads() => $"""
        <p class="batch-downloads">Results:
          <a class="btn btn-sm btn-default" href="/api/jobs/{model.Job.Id}/results?format=jsonl" download>JSONL</a>
          <a class="btn btn-sm btn-default" href="/api/jobs/{model.Job.Id}/results?format=csv" download>CSV</a>
        </p>
        """;

    private static string Cost(BatchModel model)
    {
        if (model.Cost is not { } cost || cost.Rows == 0)
        {
            return "<p class=\"text-muted\">Nothing recorded yet.</p>";
        }
        var usd = cost.CostUsd;
        var tokens = cost.Tokens;
        return $"""
            <table class="table table-condensed">
              <thead><tr><th>Kind</th><th class="align-right">Tokens</th><th class="align-right">USD</th></tr></thead>
              <tbody>
                <tr><td>Input</td><td class="align-right">{Count(tokens.Input)}</td><td class="align-right">{Usd(usd.Input)}</td></tr>
                <tr><td>Cache write (5 min)</td><td class="align-right">{Count(tokens.CacheWrite5m)}</td><td class="align-right">{Usd(usd.CacheWrite5m)}</td></tr>
                <tr><td>Cache write (1 h)</td><td class="align-right">{Count(tokens.CacheWrite1h)}</td><td class="align-right">{Usd(usd.CacheWrite1h)}</td></tr>
                <tr><td>Cache read</td><td class="align-right">{Count(tokens.CacheRead)}</td><td class="align-right">{Usd(usd.CacheRead)}</td></tr>
                <tr><td>Output</td><td class="align-right">{Count(tokens.Output)}</td><td class="align-right">{Usd(usd.Output)}</td></tr>
                <tr><th>Total</th><td></td><th class="align-right">{Usd(usd.Total)}</th></tr>
                <tr class="success"><td>Cache saved</td><td class="align-right">hit rate {Percent(cost.CacheHitRate)}</td><td class="align-right">{Usd(cost.CacheSavingsUsd)}</td></tr>
              </tbody>
            </table>
            <p class="text-muted small">{Count(cost.Rows)} rows recorded in {Count(cost.Requests)} requests.{(cost.UnpricedModels.Count > 0 ? $" No price for {E(string.Join(", ", cost.UnpricedModels))} (counted as $0)." : "")}</p>
            """;
    }

    private static string Errors(BatchModel model)
    {
        if (model.Errors.Count == 0)
        {
            return "<p class=\"text-muted\">No failed rows.</p>";
        }
        var rows = string.Concat(model.Errors.Select(e =>
            $"<tr><td><code>{E(e.Type)}</code></td><td class=\"align-right\">{Count(e.Rows)}</td><td class=\"word-break\">{E(Shorten(e.Sample, 200))}</td></tr>"));
        return $"""
            <table class="table table-condensed batch-errors">
              <thead><tr><th>Error type</th><th class="align-right">Rows</th><th>Sample message</th></tr></thead>
              <tbody>{rows}</tbody>
            </table>
            """;
    }

    private static string Recent(BatchModel model)
    {
        if (model.Recent.Count == 0)
        {
            return "<p class=\"text-muted\">No rows recorded yet.</p>";
        }
        var rows = string.Concat(model.Recent.Select(r =>
        {
            var outcome = r.Status == RowStatus.Succeeded
                ? E(r.StopReason)
                : $"<span class=\"text-danger\">{E(r.ErrorType ?? "failed")}</span>";
            var text = r.Status == RowStatus.Succeeded ? r.OutputText : r.Error;
            return $"""
                <tr><td class="word-break"><code>{E(r.CustomId)}</code></td><td>{outcome}</td>
                  <td class="align-right">{Count(r.Input + r.CacheWrite + r.CacheRead)}</td><td class="align-right">{Count(r.Output)}</td>
                  <td class="word-break batch-output">{E(Shorten(text, 160))}</td><td>{Moment(r.CompletedAt)}</td></tr>
                """;
        }));
        return $"""
            <div class="table-responsive">
            <table class="table table-condensed batch-recent">
              <thead><tr><th>custom_id</th><th>Stop reason</th><th class="align-right">Input tokens</th><th class="align-right">Output tokens</th><th>Output</th><th>Recorded</th></tr></thead>
              <tbody>{rows}</tbody>
            </table>
            </div>
            """;
    }

    private string Spec()
    {
        var spec = model.Spec;
        var format = spec.RowFormat switch
        {
            RowFormat.CsvTemplate => "CSV, template",
            RowFormat.JsonlTemplate => "JSONL, template",
            _ => "JSONL, whole Messages bodies",
        };
        var parameters = spec.DefaultParams is "{}" or "" ? None : $"<code class=\"word-break\">{E(Shorten(spec.DefaultParams, 300))}</code>";
        return $"""
            <table class="table table-condensed batch-spec">
              <tr><th>Model</th><td>{E(model.Job.Model)}</td></tr>
              <tr><th>max_tokens</th><td>{Count(spec.MaxTokens)}</td></tr>
              <tr><th>Cache TTL</th><td>{(spec.CacheTtl == CacheTtl.OneHour ? "1h" : "5m")}</td></tr>
              <tr><th>Rows</th><td>{format}{(spec.IdColumn is { } column ? $", custom_id from column <code>{E(column)}</code>" : "")}</td></tr>
              <tr><th>System prompt</th><td class="word-break">{(spec.SystemPrompt is { Length: > 0 } system ? E(Shorten(system, 400)) : None)}</td></tr>
              <tr><th>Template</th><td class="word-break">{(spec.Template is { Length: > 0 } template ? $"<code>{E(Shorten(template, 400))}</code>" : None)}</td></tr>
              <tr><th>Other parameters</th><td>{parameters}</td></tr>
              {OutputSchema(model.Job)}
            </table>
            """;
    }

    /// <summary>The schema answers must match (cut short like the system prompt), how it is asked for and how often again.</summary>
    private static string OutputSchema(JobResponse job)
    {
        if (job is not { OutputSchema: { } schema, OutputMode: { } mode, SchemaRetries: { } retries })
        {
            return $"<tr><th>Output schema</th><td>{None}</td></tr>";
        }
        var asked = JsonNamingPolicy.SnakeCaseLower.ConvertName(mode.ToString());
        var how = mode == OutputMode.Auto ? " <span class=\"text-muted\">(json_schema where the model supports structured outputs, else tool)</span>" : "";
        return $"""
            <tr><th>Output schema</th><td class="word-break"><code>{E(Shorten(schema.GetRawText(), 400))}</code></td></tr>
              <tr><th>Output mode</th><td data-spec="output_mode">{E(asked)}{how}</td></tr>
              <tr><th>Schema retries</th><td data-spec="schema_retries">{Count(retries)}</td></tr>
            """;
    }

    private string Schedules()
    {
        if (model.Schedules.Count == 0)
        {
            return "<p class=\"text-muted\">No schedule runs this batch.</p>";
        }
        return string.Concat(model.Schedules.Select(s => $"""
            <p><strong>{E(s.Name)}</strong> {(s.MadeThisBatch ? "(made this batch)" : "(re-runs this batch)")}<br>
              <code>{E(s.Cron)}</code> {E(s.TimeZone)}{(s.Enabled ? "" : ", disabled")}<br>
              <span class="text-muted">last run {Moment(s.LastRunAt)}</span></p>
            """));
    }

    private static Dictionary<string, ChartData> Charts(JobHistory history)
    {
        var times = history.Points.Select(p => p.Start.ToUnixTimeMilliseconds()).ToList();
        var unit = history.Minutes < 60 ? "minute" : "hour";
        List<double> Of(Func<HistoryPoint, double> value) => [.. history.Points.Select(value)];
        return new Dictionary<string, ChartData>
        {
            ["rows"] = new("bar", Stacked: true, unit, times,
            [
                new ChartSeries("Succeeded", Colors[0], Of(p => p.Succeeded)),
                new ChartSeries("Failed", Colors[1], Of(p => p.Failed)),
            ]),
            ["tokens"] = new("bar", Stacked: true, unit, times,
            [
                new ChartSeries("Input", Colors[2], Of(p => p.Input)),
                new ChartSeries("Cache write", Colors[3], Of(p => p.CacheWrite)),
                new ChartSeries("Cache read", Colors[4], Of(p => p.CacheRead)),
                new ChartSeries("Output", Colors[0], Of(p => p.Output)),
            ]),
        };
    }
}

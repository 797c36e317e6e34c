using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Batch.Telemetry;

/// <summary>
/// Every instrument Batch itself records, in one place per process (the meter <see cref="MeterName"/>). Names follow the
/// OpenTelemetry conventions: dotted, lower case, the unit in the unit field (the Prometheus exporter adds <c>_total</c>
/// and the unit to the names it serves). The README's "Metrics" table lists them.
/// </summary>
public sealed class BatchMetrics
{
    public const string MeterName = "Batch";

    private readonly Counter<long> _rowsRecorded;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Histogram<double> _budgetWait;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _webhookAttempts;
    private readonly Counter<long> _retentionRows;

    public BatchMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        _rowsRecorded = Meter.CreateCounter<long>("batch.rows.recorded", "{row}", "Rows whose outcome was recorded, by batch.row.status.");
        _requests = Meter.CreateCounter<long>("batch.messages.requests", "{request}",
            "Messages API attempts, by http.response.status_code (absent when no answer came) and batch.attempt.outcome.");
        _rateLimited = Meter.CreateCounter<long>("batch.messages.rate_limited", "{request}", "Messages API attempts answered 429.");
        _tokens = Meter.CreateCounter<long>("batch.tokens", "{token}", "Tokens of recorded rows, by batch.token.kind and gen_ai.request.model.");
        _cost = Meter.CreateCounter<double>("batch.cost", "USD", "Cost of recorded rows in USD, by gen_ai.request.model (the exact figures are in the cost reports).");
        _budgetWait = Meter.CreateHistogram<double>("batch.budget.wait", "s", "Time an attempt waited for its rate budget.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _inFlight = Meter.CreateUpDownCounter<long>("batch.messages.in_flight", "{request}", "Messages API requests sent and not yet answered.");
        _webhookAttempts = Meter.CreateCounter<long>("batch.webhooks.attempts", "{attempt}", "Webhook delivery attempts, by batch.webhook.outcome.");
        _retentionRows = Meter.CreateCounter<long>("batch.retention.deleted_rows", "{row}", "Rows deleted by retention and by deleting jobs.");
    }

    public Meter Meter { get; }

    public void RowRecorded(bool succeeded) =>
        _rowsRecorded.Add(1, new KeyValuePair<string, object?>("batch.row.status", succeeded ? "succeeded" : "failed"));

    /// <param name="status">The HTTP status; null when no answer came (connection failure, timeout, a cut stream).</param>
    public void Attempt(int? status, string outcome)
    {
        var tags = new TagList { { "batch.attempt.outcome", outcome } };
        if (status is { } code)
        {
            tags.Add("http.response.status_code", code);
        }
        _requests.Add(1, tags);
        if (status == 429)
        {
            _rateLimited.Add(1);
        }
    }

    public void Tokens(string model, long input, long cacheWrite5m, long cacheWrite1h, long cacheRead, long output)
    {
        AddTokens(model, "input", input);
        AddTokens(model, "cache_write_5m", cacheWrite5m);
        AddTokens(model, "cache_write_1h", cacheWrite1h);
        AddTokens(model, "cache_read", cacheRead);
        AddTokens(model, "output", output);
    }

    public void Cost(string model, decimal usd)
    {
        if (usd != 0)
        {
            _cost.Add((double)usd, new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }
    }

    public void BudgetWaited(TimeSpan wait) => _budgetWait.Record(wait.TotalSeconds);

    public void RequestStarted() => _inFlight.Add(1);

    public void RequestEnded() => _inFlight.Add(-1);

    public void WebhookAttempt(string outcome) =>
        _webhookAttempts.Add(1, new KeyValuePair<string, object?>("batch.webhook.outcome", outcome));

    public void RowsDeleted(int rows) => _retentionRows.Add(rows);

    /// <summary>Registers the <c>batch.job.pending_rows</c> gauge: rows not yet recorded of each queued or running job.</summary>
    public void ObservePendingRows(Func<IEnumerable<Measurement<long>>> observe) =>
        Meter.CreateObservableGauge("batch.job.pending_rows", observe, "{row}",
            "Rows of each queued or running job not yet recorded (pending, claimed or in flight), by batch.job.id and batch.job.name.");

    private void AddTokens(string model, string kind, long tokens)
    {
        if (tokens > 0)
        {
            _tokens.Add(tokens, new KeyValuePair<string, object?>("batch.token.kind", kind), new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }
    }
}

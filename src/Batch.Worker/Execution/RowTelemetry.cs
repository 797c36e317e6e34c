using System.Collections.Concurrent;
using System.Diagnostics;
using Batch.Budgets;
using Batch.Data.Entities;
using Batch.Messages;
using Batch.Telemetry;

namespace Batch.Worker.Execution;

/// <summary>
/// What a row's run reports: spans (the row, each wait for budget, each Messages call), the metrics of
/// <see cref="BatchMetrics"/>, and one log line for the first failure of each class in a job (in this process), never one
/// per request.
/// </summary>
internal sealed partial class RowTelemetry(BatchMetrics metrics, TimeProvider time, ILogger<RowTelemetry> logger)
{
    private readonly ConcurrentDictionary<(Guid JobId, string Failure), byte> _failuresLogged = new();

    public static Activity? StartRow(JobContext job, ClaimedRow row)
    {
        var activity = BatchActivities.Source.StartActivity("batch.row");
        activity?.SetTag("batch.job.id", job.Id);
        activity?.SetTag("batch.row.custom_id", row.CustomId);
        return activity;
    }

    public async Task<BudgetLease> WaitForBudgetAsync(Func<Task<BudgetLease>> take)
    {
        using var activity = BatchActivities.Source.StartActivity("batch.budget.wait");
        var started = time.GetTimestamp();
        var lease = await take();
        metrics.BudgetWaited(time.GetElapsedTime(started));
        return lease;
    }

    public async Task<MessagesAttempt> SendAsync(JobContext job, string model, Func<Task<MessagesAttempt>> send)
    {
        using var activity = BatchActivities.Source.StartActivity("batch.messages.send", ActivityKind.Client);
        activity?.SetTag("gen_ai.request.model", model);
        metrics.RequestStarted();
        MessagesAttempt attempt;
        try
        {
            attempt = await send();
        }
        finally
        {
            metrics.RequestEnded();
        }
        metrics.Attempt(attempt.HttpStatus, OutcomeName(attempt.Outcome));
        activity?.SetTag("http.response.status_code", attempt.HttpStatus);
        if (attempt.Outcome != AttemptOutcome.Succeeded)
        {
            var failure = attempt.Error?.Type ?? $"http_{attempt.HttpStatus}";
            activity?.SetStatus(ActivityStatusCode.Error, failure);
            if (_failuresLogged.TryAdd((job.Id, failure), 0))
            {
                LogFirstFailure(logger, job.Id, job.Name, failure, attempt.HttpStatus, OutcomeName(attempt.Outcome), attempt.Error?.Message);
            }
        }
        return attempt;
    }

    /// <summary>A row's outcome was written.</summary>
    public void Recorded(RowResult result)
    {
        metrics.RowRecorded(result.Status == RowStatus.Succeeded);
        var model = result.Model ?? "";
        var usage = result.Usage;
        metrics.Tokens(model, usage.Input, usage.CacheWrite5m, usage.CacheWrite1h, usage.CacheRead, usage.Output);
        if (result.CostUsd is { } cost)
        {
            metrics.Cost(model, cost);
        }
    }

    /// <summary>Forgets a job's failure classes once a chunk of it ends, so the memory stays bounded by running jobs.</summary>
    public void Forget(Guid jobId)
    {
        foreach (var key in _failuresLogged.Keys.Where(k => k.JobId == jobId).ToList())
        {
            _failuresLogged.TryRemove(key, out _);
        }
    }

    private static string OutcomeName(AttemptOutcome outcome) => outcome switch
    {
        AttemptOutcome.Succeeded => "succeeded",
        AttemptOutcome.RowFailed => "row_failed",
        AttemptOutcome.Transient => "transient",
        _ => "pause_job",
    };

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Job {JobId} '{JobName}': first {Failure} (HTTP {Status}, {Outcome}) in this process: {Message}. Later ones are counted in batch.messages.requests, not logged")]
    private static partial void LogFirstFailure(ILogger logger, Guid jobId, string jobName, string failure, int? status, string outcome, string? message);
}

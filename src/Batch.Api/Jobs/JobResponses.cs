using System.Text.Json;
using System.Text.Json.Serialization;
using Batch.Api.Batches;
using Batch.Data.Entities;

namespace Batch.Api.Jobs;

/// <summary>Where a job's status, results and cancel action live.</summary>
public sealed record JobLinks(string Self, string Results, string Cancel)
{
    public static JobLinks For(Guid id) => new($"/api/jobs/{id}", $"/api/jobs/{id}/results", $"/api/jobs/{id}/cancel");
}

/// <summary>
/// The answer to an upload; <c>notes</c> are warnings that did not stop it (a model with no price, say); <c>delivery</c> is how
/// the rows will be sent and <c>delivery_reason</c> why.
/// </summary>
public sealed record JobCreated(Guid Id, int RowCount, JobStatus Status, IReadOnlyList<string> Notes, JobLinks Links, Delivery Delivery = Delivery.Messages, string? DeliveryReason = null);

/// <summary>
/// A job's rows by status. <c>claimed</c>: leased by a live worker, waiting for budget, a request slot or a retry;
/// <c>in_flight</c>: request sent, answer awaited. Both come from what running chunks report every second.
/// </summary>
public sealed record JobRowCounts(int Pending, int Claimed, int InFlight, int Succeeded, int Failed, int Canceled, int Expired);

/// <summary>What live workers hold of a job right now, as their chunks last reported.</summary>
public readonly record struct HeldRows(int Claimed, int InFlight);

/// <summary>Tokens used so far, by kind (the kinds are priced differently).</summary>
public sealed record JobTokens(
    long Input,
    [property: JsonPropertyName("cache_write_5m")] long CacheWrite5m,
    [property: JsonPropertyName("cache_write_1h")] long CacheWrite1h,
    long CacheRead,
    long Output);

public sealed record JobProgress(int Done, int Total, double Fraction);

/// <summary>
/// A job's state, counts, usage and cost, read from the job's running totals (never a scan of its rows);
/// <c>max_cost_usd</c> is its spend cap (null for none), <c>cost_usd</c> what is spent against it. <c>batch_id</c> is its id on
/// <c>/v1/messages/batches</c> when it was created there. <c>delivery</c> is how its rows are sent (<c>messages</c> or
/// <c>provider_batch</c>), <c>delivery_requested</c> what the spec asked (<c>auto</c> too), <c>delivery_reason</c> why,
/// <c>deadline</c> when it should be done. <c>output_schema</c> is the schema every answer must match (null for free text),
/// <c>output_mode</c> how it is asked for (<c>auto</c> is decided per request by the model's <c>model_settings</c>; an
/// <c>auto</c> whose schema structured outputs cannot carry is stored as <c>tool</c>), <c>schema_retries</c> how often a
/// mismatching answer is asked again; both null without a schema.
/// </summary>
public sealed record JobResponse(
    Guid Id,
    string? BatchId,
    string Name,
    string Project,
    JobStatus Status,
    string? StatusReason,
    string? CacheNote,
    IReadOnlyList<string> Notes,
    string Model,
    string Account,
    RowFormat RowFormat,
    int RowCount,
    JobRowCounts Counts,
    JobTokens Tokens,
    decimal CostUsd,
    decimal? MaxCostUsd,
    JobProgress Progress,
    double? EstimatedSecondsLeft,
    Delivery DeliveryRequested,
    Delivery Delivery,
    string? DeliveryReason,
    DateTimeOffset? Deadline,
    JsonElement? OutputSchema,
    OutputMode? OutputMode,
    int? SchemaRetries,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset UpdatedAt,
    JobLinks Links,
    JobWebhook Webhook)
{
    public static JobResponse From(Job job, string account, HeldRows held, DateTimeOffset now)
    {
        var c = job.Counters;
        var done = c.SucceededRows + c.FailedRows + c.CanceledRows + c.ExpiredRows;
        var pending = Math.Max(0, job.RowCount - done - held.Claimed - held.InFlight);
        return new JobResponse(
            job.Id, job.ExpiresAt is null ? null : MessageBatchIds.Encode(job.Id), job.Name, job.Project, job.Status, job.StatusReason, job.CacheNote, job.Notes, job.Model, account, job.RowFormat, job.RowCount,
            new JobRowCounts(pending, held.Claimed, held.InFlight, c.SucceededRows, c.FailedRows, c.CanceledRows, c.ExpiredRows),
            new JobTokens(c.InputTokens, c.CacheWrite5mTokens, c.CacheWrite1hTokens, c.CacheReadTokens, c.OutputTokens),
            c.CostUsd,
            job.MaxCostUsd,
            new JobProgress(done, job.RowCount, job.RowCount == 0 ? 0 : Math.Round((double)done / job.RowCount, 4)),
            EstimateSecondsLeft(job, done, now),
            job.DeliveryRequested, job.Delivery, job.DeliveryReason, job.DeadlineAt,
            job.OutputSchema is { } schema ? JsonElement.Parse(schema) : null,
            job.OutputSchema is null ? null : job.OutputMode,
            job.OutputSchema is null ? null : job.SchemaRetries,
            job.CreatedAt, job.StartedAt, job.FinishedAt, job.UpdatedAt,
            JobLinks.For(job.Id),
            new JobWebhook(job.WebhookUrl, job.WebhookAttempts, job.WebhookLastStatus, job.WebhookLastError, job.WebhookLastAttemptAt));
    }

    /// <summary>Rows left at the pace kept since the job started; unknown until it runs and has finished a row.</summary>
    private static double? EstimateSecondsLeft(Job job, int done, DateTimeOffset now)
    {
        if (job.Status != JobStatus.Running || job.StartedAt is not { } started || done == 0)
        {
            return null;
        }
        var elapsed = (now - started).TotalSeconds;
        return elapsed <= 0 ? null : Math.Round(elapsed / done * (job.RowCount - done), 1);
    }
}

/// <summary>
/// The job's own webhook URL (null: the project's default, if any), and how its latest webhook's delivery went: attempts so far,
/// the last answer's HTTP status (null when none came) and error.
/// </summary>
public sealed record JobWebhook(string? Url, int Attempts, int? LastStatus, string? LastError, DateTimeOffset? LastAttemptAt);

/// <summary>One page of jobs, newest first, in the Message Batches API's list shape.</summary>
public sealed record JobList(IReadOnlyList<JobResponse> Data, bool HasMore, Guid? FirstId, Guid? LastId);

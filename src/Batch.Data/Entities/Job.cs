namespace Batch.Data.Entities;

/// <summary>
/// One uploaded batch: the spec every row shares, its lifecycle, and running totals that are
/// kept current as results are recorded so that status reads never scan the rows.
/// </summary>
public class Job
{
    public Guid Id { get; set; }
    public required string Project { get; set; }
    public required string Name { get; set; }
    public JobStatus Status { get; set; } = JobStatus.Queued;

    /// <summary>Why the job is paused or failed, in words a user can act on.</summary>
    public string? StatusReason { get; set; }

    public Guid AccountId { get; set; }
    public ProviderAccount? Account { get; set; }

    public required string Model { get; set; }
    public string? SystemPrompt { get; set; }

    /// <summary>The user message with <c>{{column}}</c> placeholders; null for JSONL params rows.</summary>
    public string? UserTemplate { get; set; }

    public int MaxTokens { get; set; }

    /// <summary>The job's spend cap: no row is sent whose worst case could take <see cref="JobCounters.CostUsd"/> past it.</summary>
    public decimal? MaxCostUsd { get; set; }

    /// <summary>Other Messages parameters every row inherits (temperature, stop_sequences, tools, ...), as JSON.</summary>
    public string DefaultParams { get; set; } = "{}";

    public CacheTtl CacheTtl { get; set; } = CacheTtl.FiveMinutes;

    /// <summary>What the spec asked for: <c>messages</c>, <c>provider_batch</c> or <c>auto</c>.</summary>
    public Delivery DeliveryRequested { get; set; }

    /// <summary>How the job's rows are sent: <c>messages</c> or <c>provider_batch</c>, never <c>auto</c>.</summary>
    public Delivery Delivery { get; set; }

    /// <summary>Why <see cref="Delivery"/> was chosen (and why it changed, when it did), in words a user can check.</summary>
    public string? DeliveryReason { get; set; }

    /// <summary>When the job should be done by; null for none.</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>The deadline as the spec gave it when that was a duration (<c>30h</c>): a schedule's re-run counts it from its own start.</summary>
    public TimeSpan? DeadlineAfter { get; set; }
    public int Priority { get; set; }
    public RowFormat RowFormat { get; set; }

    /// <summary>
    /// The JSON Schema every answer must match, as uploaded (kept as text: its property order is the order of the
    /// CSV's columns and of the request); null when answers are free text.
    /// </summary>
    public string? OutputSchema { get; set; }

    /// <summary>How the schema is asked for; <see cref="OutputMode.Auto"/> is decided per model by <c>model_settings</c>.</summary>
    public OutputMode OutputMode { get; set; }

    /// <summary>How many more times a row is sent when its answer does not match <see cref="OutputSchema"/>.</summary>
    public int SchemaRetries { get; set; } = 1;

    /// <summary>Input column names in file order, so CSV results can repeat them.</summary>
    public string[] Columns { get; set; } = [];

    /// <summary>Set when the shared prefix is too short to cache, or other facts the user should see.</summary>
    public string? CacheNote { get; set; }

    /// <summary>The input column whose values are the rows' custom_ids; null when the rows were numbered (<c>row-000001</c>).</summary>
    public string? IdColumn { get; set; }

    /// <summary>Warnings from the upload that are not errors (a model with no price, say), in words a user can act on.</summary>
    public string[] Notes { get; set; } = [];

    /// <summary>
    /// Whether the fail-fast look at the job's first recorded rows has been made. It is made once, so a job paused
    /// by it and resumed goes on.
    /// </summary>
    public bool FirstRowsChecked { get; set; }

    public string? IdempotencyKey { get; set; }
    public Guid? ScheduleId { get; set; }

    /// <summary>
    /// The Hangfire job id of the schedule firing that created this job (unique), so a firing retried after a crash finds
    /// the job it already made instead of copying the source again.
    /// </summary>
    public string? ScheduleFiringId { get; set; }

    /// <summary>Where a POST goes when the job ends or pauses; the project's default (<see cref="ProjectSetting"/>) when null.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Delivery attempts of the job's latest webhook, and what the last one got (HTTP status; null when no answer came).</summary>
    public int WebhookAttempts { get; set; }
    public int? WebhookLastStatus { get; set; }
    public string? WebhookLastError { get; set; }
    public DateTimeOffset? WebhookLastAttemptAt { get; set; }

    /// <summary>Set when the job was deleted: it is gone for the API at once, and its rows are deleted in batches in the background.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
    public Guid? CreatedByKeyId { get; set; }

    public int RowCount { get; set; }
    public JobCounters Counters { get; set; } = new();

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// When rows not yet sent stop being sent and end <see cref="RowStatus.Expired"/>: set for jobs created through the
    /// Message Batches API (created + <c>Batch:Batches:Expiry</c>); null for uploads, which never expire.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Running totals of a job's recorded rows; owned by <see cref="Job"/> and stored in its table.</summary>
public class JobCounters
{
    public int SucceededRows { get; set; }
    public int FailedRows { get; set; }
    public int CanceledRows { get; set; }

    /// <summary>Rows that were never sent because the job reached its <see cref="Job.ExpiresAt"/>.</summary>
    public int ExpiredRows { get; set; }
    public long InputTokens { get; set; }
    public long CacheWrite5mTokens { get; set; }
    public long CacheWrite1hTokens { get; set; }
    public long CacheReadTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal CostUsd { get; set; }
}

public enum JobStatus : short
{
    Queued = 0,
    Running = 1,
    Paused = 2,
    Completed = 3,
    Failed = 4,
    Canceled = 5,

    /// <summary>Reached its <see cref="Job.ExpiresAt"/> with rows unsent: those rows ended <see cref="RowStatus.Expired"/>.</summary>
    Expired = 6,
}

public enum CacheTtl : short
{
    FiveMinutes = 0,
    OneHour = 1,
}

public enum RowFormat : short
{
    /// <summary>CSV columns fill the job's template.</summary>
    CsvTemplate = 0,

    /// <summary>Each JSONL line is an object of template variables.</summary>
    JsonlTemplate = 1,

    /// <summary>Each JSONL line is <c>{"custom_id", "params"}</c> with a whole Messages body.</summary>
    JsonlParams = 2,
}

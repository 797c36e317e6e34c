namespace Batch.Data.Entities;

/// <summary>
/// One webhook to deliver: written by the statement that moves a job to paused, completed, failed or canceled (so each such
/// transition has exactly one), with its body fixed then, and delivered (and retried) by a Hangfire job until it is
/// answered 2xx or a day has passed.
/// </summary>
public class JobWebhookEvent
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }

    /// <summary>The status the job moved to.</summary>
    public JobStatus Status { get; set; }

    public required string Url { get; set; }

    /// <summary>The JSON body, the same on every attempt.</summary>
    public required string Payload { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public int Attempts { get; set; }

    /// <summary>When the next attempt is due; a sender holds the event by moving this forward while it sends.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    public int? LastStatus { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public DateTimeOffset? GaveUpAt { get; set; }
}

using Batch.Data.Entities;

namespace Batch.Api.Batches;

/// <summary>How many of a batch's requests are in each state; read from the job's counters, never from its rows.</summary>
public sealed record MessageBatchRequestCounts(int Processing, int Succeeded, int Errored, int Canceled, int Expired);

/// <summary>A job created through the Message Batches API, in that API's shape (field order as Anthropic's).</summary>
public sealed record MessageBatch(
    string Id,
    string Type,
    string ProcessingStatus,
    MessageBatchRequestCounts RequestCounts,
    DateTimeOffset? EndedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? ArchivedAt,
    DateTimeOffset? CancelInitiatedAt,
    string? ResultsUrl)
{
    public const string InProgress = "in_progress";
    public const string Canceling = "canceling";
    public const string Ended = "ended";

    /// <summary>
    /// Ended once the job has stopped (completed, failed, canceled or expired) and every row is recorded: a canceled job
    /// is <c>canceling</c> while requests already sent are still being answered.
    /// </summary>
    public static bool HasEnded(Job job) =>
        job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Canceled or JobStatus.Expired && Done(job) >= job.RowCount;

    /// <param name="resultsBase">The absolute base URL of this server, for <c>results_url</c>.</param>
    public static MessageBatch From(Job job, Uri resultsBase)
    {
        var c = job.Counters;
        var ended = HasEnded(job);
        var id = MessageBatchIds.Encode(job.Id);
        return new MessageBatch(
            id,
            "message_batch",
            ended ? Ended : job.Status == JobStatus.Canceled ? Canceling : InProgress,
            new MessageBatchRequestCounts(Math.Max(0, job.RowCount - Done(job)), c.SucceededRows, c.FailedRows, c.CanceledRows, c.ExpiredRows),
            // The statement that records a job's last row also stamps updated_at; a completed job stamps finished_at.
            ended ? Max(job.FinishedAt ?? job.UpdatedAt, job.UpdatedAt) : null,
            job.CreatedAt,
            job.ExpiresAt ?? job.CreatedAt,
            null,
            job.Status == JobStatus.Canceled ? job.FinishedAt : null,
            ended ? new Uri(resultsBase, $"v1/messages/batches/{id}/results").ToString() : null);
    }

    private static int Done(Job job) =>
        job.Counters.SucceededRows + job.Counters.FailedRows + job.Counters.CanceledRows + job.Counters.ExpiredRows;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>A page of batches, newest first.</summary>
public sealed record MessageBatchList(IReadOnlyList<MessageBatch> Data, bool HasMore, string? FirstId, string? LastId);

/// <summary>The answer to a delete.</summary>
public sealed record MessageBatchDeleted(string Id, string Type);

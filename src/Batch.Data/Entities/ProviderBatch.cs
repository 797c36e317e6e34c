namespace Batch.Data.Entities;

/// <summary>
/// One slice of a job sent through the provider's Message Batches API. The row is written, as an intent without
/// <see cref="ProviderBatchId"/>, in the transaction that leases the slice's rows to it (its <see cref="Id"/> is their
/// lease token), before the create call; the provider's id is added once the call answers. An intent that never got an
/// id is matched against the provider's batch list after a crash, so no slice is submitted twice.
/// </summary>
public class ProviderBatch
{
    /// <summary>Also the lease token of the slice's rows: the result writer records a row only while this slice holds it.</summary>
    public Guid Id { get; set; }

    public Guid JobId { get; set; }
    public Guid AccountId { get; set; }

    /// <summary>The provider's <c>msgbatch_...</c> id; null while the slice is only an intent.</summary>
    public string? ProviderBatchId { get; set; }

    public ProviderBatchStatus Status { get; set; }

    /// <summary>The seq range the slice's rows come from; retried rows make it sparse.</summary>
    public int FirstSeq { get; set; }
    public int LastSeq { get; set; }

    /// <summary>Requests in the slice: what recovery matches the provider's batches on.</summary>
    public int RequestCount { get; set; }

    /// <summary>Bytes of the create call's body.</summary>
    public long Bytes { get; set; }

    // The provider's request_counts once the batch ended.
    public int Succeeded { get; set; }
    public int Errored { get; set; }
    public int Canceled { get; set; }
    public int Expired { get; set; }

    /// <summary>When the intent committed (the database's clock): the provider's batch, if any, was created after it.</summary>
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }

    /// <summary>When Batch asked the provider to cancel it (the job was canceled or paused).</summary>
    public DateTimeOffset? CancelRequestedAt { get; set; }

    /// <summary>The provider's <c>ended_at</c>.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>When every result was recorded or its row given back.</summary>
    public DateTimeOffset? ImportedAt { get; set; }

    /// <summary>What happened to a slice that was not submitted, or the last error met while driving it.</summary>
    public string? Note { get; set; }
}

public enum ProviderBatchStatus : short
{
    /// <summary>Committed before the create call; no provider id yet.</summary>
    Intent = 0,

    /// <summary>At the provider, not ended.</summary>
    InProgress = 1,

    /// <summary>Ended at the provider; results not (all) imported yet.</summary>
    Ended = 2,

    /// <summary>Every result recorded, or its row given back to be sent again.</summary>
    Imported = 3,

    /// <summary>Never reached the provider (refused, or found unsubmitted after a crash while its job no longer runs): its rows were given back.</summary>
    Abandoned = 4,
}

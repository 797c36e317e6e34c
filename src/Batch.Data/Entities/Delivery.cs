namespace Batch.Data.Entities;

/// <summary>How a job's rows reach the provider.</summary>
public enum Delivery : short
{
    /// <summary>One <c>POST /v1/messages</c> per row, inside the account's per-minute budgets: answers in minutes, standard prices.</summary>
    Messages = 0,

    /// <summary>Slices of rows through the provider's Message Batches API: answers within its window (24 h), at its batch discount.</summary>
    ProviderBatch = 1,

    /// <summary>Asked for on a spec only: provider_batch when the deadline leaves the provider's window, messages otherwise.</summary>
    Auto = 2,
}

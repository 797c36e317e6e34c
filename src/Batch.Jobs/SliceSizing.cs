namespace Batch.Jobs;

/// <summary>
/// How big a job's provider batches are, bound from <c>Batch:ProviderBatches</c> by the worker (which cuts them) and the API
/// (whose estimate counts them). A provider batch's results come only once the whole batch has ended, and are imported
/// after: a job cut into about <see cref="SlicesPerJob"/> slices has its first results while later slices run, and only the
/// last slice's import comes after the provider is done. The account's <c>batch_max_requests</c>, <c>batch_max_bytes</c>
/// and queue limit still bound every slice.
/// </summary>
public sealed class SliceSizing
{
    public const string SectionName = "Batch:ProviderBatches";

    public int SlicesPerJob { get; set; } = 20;

    /// <summary>No slice is cut smaller than this to reach <see cref="SlicesPerJob"/>: a small job goes in few slices.</summary>
    public int MinSliceRequests { get; set; } = 1_000;

    /// <summary>The requests a slice of a job of <paramref name="jobRows"/> rows aims at, before the account's limits.</summary>
    public int Target(long jobRows)
    {
        var slices = Math.Max(SlicesPerJob, 1);
        return jobRows <= 0 ? int.MaxValue : (int)Math.Min(Math.Max((jobRows + slices - 1) / slices, MinSliceRequests), int.MaxValue);
    }
}

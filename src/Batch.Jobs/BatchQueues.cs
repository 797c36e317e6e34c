namespace Batch.Jobs;

/// <summary>
/// Hangfire queue names. Control work (starting jobs, schedules, probes) never waits behind row chunks; provider-batch ticks
/// (submitting slices, polling, importing results) have threads of their own.
/// </summary>
public static class BatchQueues
{
    public const string Control = "control";
    public const string Rows = "rows";
    public const string ProviderBatches = "provider_batches";

    public static readonly string[] All = [Control, Rows, ProviderBatches];
}

namespace Batch.Jobs;

/// <summary>Hangfire queue names. Control work (starting jobs, schedules, probes) never waits behind row chunks.</summary>
public static class BatchQueues
{
    public const string Control = "control";
    public const string Rows = "rows";

    public static readonly string[] All = [Control, Rows];
}

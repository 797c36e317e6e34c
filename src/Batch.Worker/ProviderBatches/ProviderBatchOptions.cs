namespace Batch.Worker.ProviderBatches;

/// <summary>How a worker drives provider batches, bound from <c>Batch:ProviderBatches</c>.</summary>
public sealed class ProviderBatchOptions
{
    public const string SectionName = "Batch:ProviderBatches";

    /// <summary>The first wait between polls of a job's slices; it doubles while nothing changes...</summary>
    public TimeSpan PollInitial { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>...up to this.</summary>
    public TimeSpan PollMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often this process looks for delayed ticks that are due (Hangfire's schedule polling on the provider-batch server).</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Hangfire threads for provider-batch ticks.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>
    /// An intent without a provider id is looked for in the provider's list only once it is this old: a create call cut
    /// off by a crash may still land at the provider a moment later.
    /// </summary>
    public TimeSpan RecoveryGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far the provider's clock may be behind the database's when matching batches created after an intent.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A poll chain whose tick is this overdue (its worker died between two steps) is restarted by any worker.</summary>
    public TimeSpan OverdueAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most times a row goes to the provider: an errored row is sent again until then, and so is an expired one when the job has no deadline.</summary>
    public int MaxSubmissions { get; set; } = 3;

    /// <summary>Results waiting for the result writer at once while a slice is imported.</summary>
    public int ImportWindow { get; set; } = 2_000;

    /// <summary>Rows read (and bodies built) per round trip while a slice is cut and sent.</summary>
    public int ReadPage { get; set; } = 2_000;

    /// <summary>Batches per page, and pages at most, read from the provider's list when an intent is recovered.</summary>
    public int ListPageSize { get; set; } = 100;
    public int ListMaxPages { get; set; } = 20;
}

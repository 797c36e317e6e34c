namespace Batch.Data.Entities;

/// <summary>A saved job re-run on a cron schedule: each run copies the source job's spec and rows into a new job.</summary>
public class JobSchedule
{
    public Guid Id { get; set; }
    public required string Project { get; set; }
    public required string Name { get; set; }
    public required string Cron { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public Guid SourceJobId { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset? LastRunAt { get; set; }
    public Guid? LastJobId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

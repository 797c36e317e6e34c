namespace Batch.Data.Entities;

/// <summary>A project's own settings (projects are the names API keys carry); a project without a row has the defaults.</summary>
public class ProjectSetting
{
    public required string Project { get; set; }

    /// <summary>Where jobs of the project without a <c>webhook_url</c> of their own report when they end or pause.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Days the results of an ended job are kept; <c>Batch:Retention:Days</c> when null.</summary>
    public int? RetentionDays { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

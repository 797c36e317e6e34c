namespace Batch.Data.Retention;

/// <summary>How long results are kept, bound from <c>Batch:Retention</c>.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Batch:Retention";

    /// <summary>Days an ended job (completed, failed, canceled) is kept after it ended, unless its project keeps longer; 0 keeps all.</summary>
    public int Days { get; set; } = 29;

    /// <summary>Rows per DELETE statement.</summary>
    public int BatchRows { get; set; } = JobDeletion.DefaultBatchRows;

    /// <summary>A deleted job of at most this many rows is deleted before <c>DELETE /api/jobs/{id}</c> answers (204); a larger one in the background (202).</summary>
    public int InlineDeleteRows { get; set; } = 10_000;
}

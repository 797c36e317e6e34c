namespace Batch.Api.Uploads;

/// <summary>Limits of <c>POST /api/jobs</c>, from <c>Batch:Uploads:*</c>.</summary>
public sealed class UploadOptions
{
    public const string Section = "Batch:Uploads";

    /// <summary>Largest file, counted after gzip is undone (and on the wire), in bytes.</summary>
    public long MaxFileBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest CSV cell or JSONL template value, in UTF-8 bytes.</summary>
    public int MaxFieldBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest JSONL line, in bytes (a params line is a whole Messages body).</summary>
    public int MaxLineBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest spec part, in bytes.</summary>
    public int MaxSpecBytes { get; set; } = 1024 * 1024;

    /// <summary>How many errors an answer lists; reading stops once this many are known.</summary>
    public int MaxErrors { get; set; } = 100;
}

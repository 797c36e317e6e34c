namespace Batch.Api.Uploads;

/// <summary>One parsed row on its way into COPY: where it was in the file, its own custom_id if it had one, and its input as JSON.</summary>
public readonly record struct UploadRow(long Line, string? CustomId, string Input);

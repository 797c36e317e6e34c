namespace Batch.Api.Uploads;

/// <summary>
/// One parsed row on its way into a block: where it was in the file, its own custom_id if it had one, and its
/// input as UTF-8 JSON. <see cref="Input"/> lives in the reader's reused buffer: it is valid until the reader moves on.
/// </summary>
public readonly record struct UploadRow(long Line, string? CustomId, ReadOnlyMemory<byte> Input);

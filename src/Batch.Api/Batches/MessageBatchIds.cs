namespace Batch.Api.Batches;

/// <summary>
/// A batch's id is its job's id in Anthropic's shape: <c>msgbatch_</c> and the job's UUID as 32 hex digits. The
/// encoding is fixed, so the id never changes, and since job ids are UUIDv7 the ids sort by creation time.
/// </summary>
public static class MessageBatchIds
{
    private const string Prefix = "msgbatch_";

    public static string Encode(Guid jobId) => Prefix + jobId.ToString("N");

    public static bool TryDecode(string? id, out Guid jobId)
    {
        jobId = default;
        return id is not null && id.StartsWith(Prefix, StringComparison.Ordinal)
            && Guid.TryParseExact(id.AsSpan(Prefix.Length), "N", out jobId);
    }
}

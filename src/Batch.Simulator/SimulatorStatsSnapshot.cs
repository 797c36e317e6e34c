using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Batch.Simulator;

/// <summary>
/// Counters since start or the last reset, as served by <c>GET /_simulator/stats</c> (snake_case JSON).
/// <see cref="Prompts"/> is keyed by <see cref="PromptKeyOf"/> of each request's last user message.
/// </summary>
public sealed record SimulatorStatsSnapshot(
    long RequestsTotal,
    IReadOnlyDictionary<string, long> RequestsByStatus,
    TokenCounts Tokens,
    CacheCounts Cache,
    FaultCounts Faults,
    long ConcurrentRequests,
    long PeakConcurrentRequests,
    IReadOnlyDictionary<string, PromptCounts> Prompts,
    long MaxPromptSent,
    long MaxPromptAnswered,
    IReadOnlyDictionary<string, ModelClassRateStats> RateLimits,
    double SpendUsd,
    long CountTokensRequests,
    BatchCounts Batches,
    long StreamedRequests = 0,
    BatchQueueCounts? BatchQueue = null)
{
    /// <summary>The stable key of a prompt: the first 16 hex digits of SHA-256 over the UTF-8 text of its last user message.</summary>
    public static string PromptKeyOf(string lastUserText) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lastUserText)), 0, 8);
}

/// <summary>Tokens of answered requests, by kind.</summary>
public sealed record TokenCounts(
    long Input,
    [property: JsonPropertyName("cache_write_5m")] long CacheWrite5m,
    [property: JsonPropertyName("cache_write_1h")] long CacheWrite1h,
    long CacheRead,
    long Output);

/// <summary>Requests that wrote to or read from the cache, and the entries it holds.</summary>
public sealed record CacheCounts(long Writes, long Reads, long Entries);

/// <summary>Injected faults by kind.</summary>
public sealed record FaultCounts(long Overloaded, long ServerError, long DroppedConnection, long Stalled, long MalformedJson, long CutStream = 0);

/// <summary>How often a prompt was sent (valid requests, whatever their outcome) and answered (complete 200s).</summary>
public sealed record PromptCounts(long Sent, long Answered);

/// <summary>Limits of one model class and the most each dimension used in any 60-second window.</summary>
public sealed record ModelClassRateStats(DimensionStats Requests, DimensionStats InputTokens, DimensionStats OutputTokens);

/// <summary>A per-minute limit (0 = unlimited) and the peak usage in any sliding 60-second window.</summary>
public sealed record DimensionStats(long Limit, long MaxWindowUsage);

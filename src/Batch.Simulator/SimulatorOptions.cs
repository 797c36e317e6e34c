namespace Batch.Simulator;

/// <summary>
/// Settings of the simulator, bound from the <c>Simulator</c> configuration section.
/// One live instance per simulator: changes made while it runs apply to later requests.
/// Limits and probabilities of 0 switch the feature off.
/// </summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>The key accepted in <c>x-api-key</c> (or <c>Authorization: Bearer</c> for API version 2026-10-21).</summary>
    public string ApiKey { get; set; } = "sim-key";

    /// <summary>Models must start with this prefix, otherwise 404 <c>not_found_error</c>; empty accepts any model.</summary>
    public string ModelNamePrefix { get; set; } = "claude-";

    // Rate limits per model class, per minute; 0 = unlimited.
    public int Rpm { get; set; } = 4_000;
    public long InputTpm { get; set; } = 2_000_000;
    public long OutputTpm { get; set; } = 400_000;

    /// <summary>Separate RPM bucket of <c>/v1/messages/count_tokens</c>; 0 = unlimited.</summary>
    public int CountTokensRpm { get; set; } = 2_000;

    /// <summary>
    /// When above 0, each bucket only holds what refills in this many milliseconds (60 RPM with 1000 ms
    /// admits 1 request per second) instead of a full minute, which is how short bursts get limited.
    /// </summary>
    public int BurstWindowMs { get; set; }

    public OutputTokenMode OutputTokenMode { get; set; } = OutputTokenMode.ActualOutput;

    /// <summary>Model prefix to model class; models matching no prefix are a class of their own.</summary>
    public Dictionary<string, string> ModelClasses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Comma-separated model prefixes whose cache reads still count toward ITPM (older Haiku 3.x).</summary>
    public string CacheReadsCountTowardItpm { get; set; } = "claude-3-haiku";

    /// <summary>Minimum cacheable prefix in tokens, by longest matching model prefix.</summary>
    public Dictionary<string, int> CacheMinimumTokens { get; set; } = new(StringComparer.Ordinal)
    {
        ["claude-sonnet-4"] = 1024,
        ["claude-opus-4-1"] = 1024,
        ["claude-opus-4-0"] = 1024,
        ["claude-opus-4-5"] = 4096,
        ["claude-opus-4-6"] = 4096,
        ["claude-opus-4-7"] = 4096,
        ["claude-haiku-4-5"] = 4096,
        ["claude-3-haiku"] = 2048,
    };

    public int DefaultCacheMinimumTokens { get; set; } = 1024;

    // Latency: the response begins after TimeToFirstTokenMs, then each output token takes MsPerOutputToken;
    // both are multiplied by SpeedFactor (0 = no delay at all).
    public double TimeToFirstTokenMs { get; set; } = 600;
    public double MsPerOutputToken { get; set; } = 15;
    public double SpeedFactor { get; set; } = 1;

    /// <summary>Lower bound of the uniform distribution of natural answer lengths, in tokens.</summary>
    public int OutputTokensMin { get; set; } = 30;

    /// <summary>Upper bound of the uniform distribution of natural answer lengths, in tokens.</summary>
    public int OutputTokensMax { get; set; } = 300;

    // Spend cap over everything admitted since start or reset; 0 = none.
    public double SpendCapUsd { get; set; }
    public long SpendCapTokens { get; set; }

    /// <summary>USD per million tokens, by longest matching model prefix.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.Ordinal)
    {
        ["claude-opus-4-5"] = new() { Input = 5, CacheWrite5m = 6.25, CacheWrite1h = 10, CacheRead = 0.5, Output = 25 },
        ["claude-opus-4-6"] = new() { Input = 5, CacheWrite5m = 6.25, CacheWrite1h = 10, CacheRead = 0.5, Output = 25 },
        ["claude-opus-4-7"] = new() { Input = 5, CacheWrite5m = 6.25, CacheWrite1h = 10, CacheRead = 0.5, Output = 25 },
        ["claude-sonnet-4"] = new() { Input = 3, CacheWrite5m = 3.75, CacheWrite1h = 6, CacheRead = 0.3, Output = 15 },
        ["claude-haiku-4-5"] = new() { Input = 1, CacheWrite5m = 1.25, CacheWrite1h = 2, CacheRead = 0.1, Output = 5 },
        ["claude-opus-4-1"] = new() { Input = 15, CacheWrite5m = 18.75, CacheWrite1h = 30, CacheRead = 1.5, Output = 75 },
        ["claude-sonnet-5"] = new() { Input = 2, CacheWrite5m = 2.5, CacheWrite1h = 4, CacheRead = 0.2, Output = 10 },
    };

    public ModelPrice DefaultPrice { get; set; } = new() { Input = 3, CacheWrite5m = 3.75, CacheWrite1h = 6, CacheRead = 0.3, Output = 15 };

    // Fault probabilities per /v1/messages request, each drawn independently from a seeded generator.
    public double OverloadedProbability { get; set; }
    public double ServerErrorProbability { get; set; }
    public double DropConnectionProbability { get; set; }
    public double StallProbability { get; set; }
    public double MalformedJsonProbability { get; set; }

    /// <summary>A stream (<c>stream: true</c> only) that ends cleanly halfway through its first block, without <c>message_stop</c>.</summary>
    public double CutStreamProbability { get; set; }
    /// <summary>
    /// Share of answers to a json_schema or forced-tool request whose object does not fit the schema (its first
    /// property gets a value of another type), drawn per request, so asking again may get a fitting one.
    /// </summary>
    public double SchemaViolationProbability { get; set; }

    /// <summary>Share of answers that are refusals: <c>stop_reason: "refusal"</c> and a short text, drawn per request.</summary>
    public double RefusalProbability { get; set; }

    /// <summary>How long a stalled request waits before answering (unless the client gives up first).</summary>
    public double StallSeconds { get; set; } = 600;

    /// <summary>Seeds fault draws and generated text, so runs repeat.</summary>
    public int Seed { get; set; }

    // The Message Batches API. Its timings are wall-clock milliseconds, never scaled by SpeedFactor.

    /// <summary>How long a new batch waits before its first request is processed.</summary>
    public double BatchQueueDelayMs { get; set; } = 1_000;

    /// <summary>Batch requests processed per second, across all batches in the order they were created; 0 = all at once after the queue delay.</summary>
    public double BatchRequestsPerSecond { get; set; } = 1_000;

    /// <summary>A batch's requests not processed this long after it was created expire (the API's 24 hours).</summary>
    public double BatchExpirySeconds { get; set; } = 86_400;

    /// <summary>Share of valid batch requests that come back <c>errored</c> with a 500 <c>api_error</c>.</summary>
    public double BatchErroredProbability { get; set; }

    /// <summary>Share of batch requests that come back <c>expired</c>, whatever the time.</summary>
    public double BatchExpiredProbability { get; set; }

    /// <summary>Most requests waiting to be processed across the batches in progress; a create that would pass it is a 429. 0 = no limit.</summary>
    public int BatchQueueLimit { get; set; } = 100_000;

    /// <summary>Most requests in one batch (413 above).</summary>
    public int BatchMaxRequests { get; set; } = 100_000;

    /// <summary>Most bytes of one create call (413 above).</summary>
    public long BatchMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>A create call waits this long before the batch exists: a client that leaves meanwhile created nothing.</summary>
    public double BatchCreateLatencyMs { get; set; }

    /// <summary>A create call waits this long after the batch exists, before answering: a client that leaves meanwhile never learns its id.</summary>
    public double BatchCreateResponseDelayMs { get; set; }

    /// <summary>How long a canceled batch stays <c>canceling</c> before it ends.</summary>
    public double BatchCancelDelayMs { get; set; } = 100;

    /// <summary>The share of the prices a batch request is charged (toward the spend cap): the API's 50 %.</summary>
    public double BatchPriceMultiplier { get; set; } = 0.5;
}

/// <summary>The per-minute limits in force, per model class, as <c>GET /_simulator/limits</c> serves them; 0 = unlimited.</summary>
public sealed record SimulatorLimits(int Rpm, long InputTpm, long OutputTpm);

/// <summary>How output tokens are charged against OTPM.</summary>
public enum OutputTokenMode
{
    /// <summary>Charge the actual output when the response ends.</summary>
    ActualOutput,

    /// <summary>Reserve <c>max_tokens</c> when the request starts and refund the unused part at the end.</summary>
    ReserveMaxTokens,
}

/// <summary>USD per million tokens of one model.</summary>
public sealed class ModelPrice
{
    public double Input { get; set; }
    public double CacheWrite5m { get; set; }
    public double CacheWrite1h { get; set; }
    public double CacheRead { get; set; }
    public double Output { get; set; }
}

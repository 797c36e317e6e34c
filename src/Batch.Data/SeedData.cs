using Batch.Data.Entities;

namespace Batch.Data;

/// <summary>
/// First values for the data tables that drift (prices, cache minimums, rate-limit classes),
/// from Anthropic's published values as read in November 2026 (docs/messages-api.md). They are rows, editable through
/// the API; a later price is a new effective-dated row, not an edit of this file.
/// </summary>
internal static class SeedData
{
    private static readonly DateTimeOffset SeededFrom = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ModelPrice[] ModelPrices { get; } =
    [
        Price("claude-opus-4-5", "5fb1e1a0-0001-4000-8000-000000000001", 5m, 6.25m, 10m, 0.50m, 25m),
        Price("claude-opus-4-6", "5fb1e1a0-0001-4000-8000-000000000002", 5m, 6.25m, 10m, 0.50m, 25m),
        Price("claude-opus-4-7", "5fb1e1a0-0001-4000-8000-000000000003", 5m, 6.25m, 10m, 0.50m, 25m),
        Price("claude-sonnet-4-5", "5fb1e1a0-0001-4000-8000-000000000004", 3m, 3.75m, 6m, 0.30m, 15m),
        Price("claude-sonnet-4-6", "5fb1e1a0-0001-4000-8000-000000000005", 3m, 3.75m, 6m, 0.30m, 15m),
        Price("claude-haiku-4-5", "5fb1e1a0-0001-4000-8000-000000000006", 1m, 1.25m, 2m, 0.10m, 5m),
        Price("claude-opus-4-1", "5fb1e1a0-0001-4000-8000-000000000007", 15m, 18.75m, 30m, 1.50m, 75m),
        Price("claude-sonnet-5", "5fb1e1a0-0001-4000-8000-000000000008", 2m, 2.50m, 4m, 0.20m, 10m),
    ];

    public static ModelSetting[] ModelSettings { get; } =
    [
        Setting("claude-opus-4-5", "opus-4.5+", 4096, structuredOutputs: true),
        Setting("claude-opus-4-6", "opus-4.5+", 4096, structuredOutputs: true),
        Setting("claude-opus-4-7", "opus-4.5+", 4096),
        Setting("claude-opus-4-1", "opus-4.1", 1024),
        // Sonnet 4.0 has no structured outputs; 4.5 and 4.6 share its class and cache minimum but do.
        Setting("claude-sonnet-4", "sonnet-4", 1024),
        Setting("claude-sonnet-4-5", "sonnet-4", 1024, structuredOutputs: true),
        Setting("claude-sonnet-4-6", "sonnet-4", 1024, structuredOutputs: true),
        Setting("claude-sonnet-5", "sonnet-5", 2048),
        Setting("claude-haiku-4-5", "haiku-4.5", 4096, structuredOutputs: true),
        Setting("claude-3-5-haiku", "haiku-3", 2048, cacheReadsCount: true),
        Setting("claude-3-haiku", "haiku-3", 2048, cacheReadsCount: true),
    ];

    private static ModelPrice Price(string model, string id, decimal input, decimal write5m, decimal write1h, decimal read, decimal output) => new()
    {
        Id = Guid.Parse(id),
        ModelPrefix = model,
        EffectiveFrom = SeededFrom,
        InputPerMTok = input,
        CacheWrite5mPerMTok = write5m,
        CacheWrite1hPerMTok = write1h,
        CacheReadPerMTok = read,
        OutputPerMTok = output,
    };

    private static ModelSetting Setting(string prefix, string modelClass, int minCacheable, bool cacheReadsCount = false, bool structuredOutputs = false) => new()
    {
        ModelPrefix = prefix,
        ModelClass = modelClass,
        MinCacheableTokens = minCacheable,
        CacheReadsCountTowardInputTpm = cacheReadsCount,
        StructuredOutputs = structuredOutputs,
    };
}

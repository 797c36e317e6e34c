using System.Text.Json.Nodes;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Data.Rows;
using Batch.Worker.Requests;

namespace Batch.Worker.Execution;

/// <summary>What every row of a job needs, loaded once per chunk.</summary>
internal sealed record JobContext(
    Guid Id,
    string Name,
    JobStatus Status,
    string Model,
    int MaxTokens,
    int Priority,
    RowFormat Format,
    string? SystemPrompt,
    TemplateRenderer? Template,
    JsonObject DefaultParams,
    CacheTtl CacheTtl,
    ProviderAccount Account,
    ModelSetting? ModelSetting,
    PriceBook Prices,
    Delivery Delivery = Delivery.Messages,
    DateTimeOffset? DeadlineAt = null,
    StructuredOutput? Output = null,
    long RowCount = 0)
{
    public TimeSpan CacheLifetime => CacheTtl == CacheTtl.OneHour ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(5);

    /// <summary>The shared prefix every row repeats (the system prompt), in characters; 0 when there is none.</summary>
    public int SharedPrefixCharacters => SystemPrompt?.Length ?? 0;

    /// <summary>About 4 characters a token: good enough to tell a prefix far below a model's minimum from one above it.</summary>
    public int EstimatedSharedPrefixTokens => (SharedPrefixCharacters + 3) / 4;

    /// <summary>Whether the shared prefix is long enough to cache, so the first request must write it before the rest read it.</summary>
    public bool WarmsCache => SharedPrefixCharacters > 0 && EstimatedSharedPrefixTokens >= MinCacheableTokens;

    private int MinCacheableTokens => ModelSetting?.MinCacheableTokens ?? 1024;

    /// <summary>
    /// Whether this request reads a cached prefix that its first request must write: the job's system prompt, or, for params
    /// rows (the Message Batches API's), a <c>cache_control</c> breakpoint of their own in <c>tools</c> or <c>system</c>
    /// whose prefix is long enough to cache. Such rows mostly repeat one prefix (a batch's shared instructions); when they
    /// do not, the cost is one request alone per model and cache lifetime.
    /// </summary>
    public bool WarmsCacheFor(JsonObject request) =>
        WarmsCache || (Format == RowFormat.JsonlParams && (CachedPrefixCharacters(request) + 3) / 4 >= MinCacheableTokens);

    private static int CachedPrefixCharacters(JsonObject request)
    {
        var tools = request["tools"] as JsonArray;
        var system = request["system"] as JsonArray;
        static bool Marked(JsonArray? blocks) => blocks is not null && blocks.Any(block => block is JsonObject { } o && o.ContainsKey("cache_control"));
        // Most params rows carry no breakpoint: they cost two scans here, not a serialization of their tools.
        if (!Marked(tools) && !Marked(system))
        {
            return 0;
        }
        var characters = tools?.ToJsonString().Length ?? 0;
        var cached = Marked(tools) ? characters : 0;
        if (system is not null)
        {
            foreach (var block in system.OfType<JsonObject>())
            {
                characters += block["text"] is JsonValue text && text.TryGetValue<string>(out var value) ? value.Length : 0;
                if (block.ContainsKey("cache_control"))
                {
                    cached = characters;
                }
            }
        }
        return cached;
    }
}

using System.Text.Json;

namespace Batch.Simulator;

/// <summary>A validated Messages (or count_tokens) request, reduced to what the simulator needs.</summary>
/// <remarks>Tool schemas are elements of the request's JsonDocument, which lives as long as the request.</remarks>
internal sealed class MessageRequest
{
    public required string Model { get; init; }
    public int MaxTokens { get; init; }
    public bool Stream { get; init; }
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>The tool the model must call (forced <c>tool_choice</c>), or null to answer with text.</summary>
    public ToolDefinition? ForcedTool { get; init; }

    /// <summary>The schema of <c>output_config.format</c> (structured outputs): the answer is JSON text that fits it.</summary>
    public JsonElement? OutputSchema { get; init; }

    /// <summary>Total input tokens by <see cref="ApproximateTokenizer"/>.</summary>
    public int InputTokens { get; init; }

    /// <summary>Cache breakpoints in prefix order (tools, system, messages).</summary>
    public IReadOnlyList<CacheBreakpoint> Breakpoints { get; init; } = [];

    /// <summary>Hash of model and whole prompt (not max_tokens or stream), seeding the generated answer.</summary>
    public ulong ContentSeed { get; init; }

    public string LastUserText { get; init; } = "";

    /// <summary>Every text piece of the prompt, searched for stop sequences the answer may repeat.</summary>
    public IReadOnlyList<string> PromptTexts { get; init; } = [];
}

internal sealed record ToolDefinition(string Name, JsonElement InputSchema);

internal enum CacheTtl
{
    FiveMinutes,
    OneHour,
}

/// <summary>A prefix marked with cache_control: its cumulative token count and identity.</summary>
internal readonly record struct CacheBreakpoint(int PrefixTokens, UInt128 PrefixHash, CacheTtl Ttl);

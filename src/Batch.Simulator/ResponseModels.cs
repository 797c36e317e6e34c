using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Batch.Simulator;

/// <summary>The Messages API response object (also the <c>message</c> of a <c>message_start</c> event).</summary>
internal sealed record MessageResponse(
    string Id,
    string Type,
    string Role,
    string Model,
    IReadOnlyList<ContentBlock> Content,
    string? StopReason,
    string? StopSequence,
    Usage Usage);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TextContent), "text")]
[JsonDerivedType(typeof(ToolUseContent), "tool_use")]
internal abstract record ContentBlock;

internal sealed record TextContent(string Text) : ContentBlock;

internal sealed record ToolUseContent(string Id, string Name, JsonNode Input) : ContentBlock;

internal sealed record Usage(
    int InputTokens,
    int CacheCreationInputTokens,
    int CacheReadInputTokens,
    CacheCreation CacheCreation,
    int OutputTokens,
    string ServiceTier);

internal sealed record CacheCreation(
    [property: JsonPropertyName("ephemeral_5m_input_tokens")] int Ephemeral5mInputTokens,
    [property: JsonPropertyName("ephemeral_1h_input_tokens")] int Ephemeral1hInputTokens);

internal sealed record CountTokensResponse(int InputTokens);

internal sealed record MessageStartEvent(string Type, MessageResponse Message);

internal sealed record ContentBlockStartEvent(string Type, int Index, ContentBlock ContentBlock);

internal sealed record ContentBlockDeltaEvent(string Type, int Index, BlockDelta Delta);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TextDelta), "text_delta")]
[JsonDerivedType(typeof(InputJsonDelta), "input_json_delta")]
internal abstract record BlockDelta;

internal sealed record TextDelta(string Text) : BlockDelta;

internal sealed record InputJsonDelta(string PartialJson) : BlockDelta;

internal sealed record ContentBlockStopEvent(string Type, int Index);

internal sealed record MessageDeltaEvent(string Type, MessageDelta Delta, DeltaUsage Usage);

internal sealed record MessageDelta(string? StopReason, string? StopSequence);

/// <summary>Cumulative usage at the end of a stream.</summary>
internal sealed record DeltaUsage(int InputTokens, int CacheCreationInputTokens, int CacheReadInputTokens, int OutputTokens);

/// <summary>Events with nothing but a type: <c>ping</c> and <c>message_stop</c>.</summary>
internal sealed record TypeOnlyEvent(string Type);

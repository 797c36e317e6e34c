using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Batch.Simulator;

/// <summary>Source-generated serializers for everything the simulator writes (snake_case, like the API).</summary>
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CountTokensResponse))]
[JsonSerializable(typeof(MessageStartEvent))]
[JsonSerializable(typeof(ContentBlockStartEvent))]
[JsonSerializable(typeof(ContentBlockDeltaEvent))]
[JsonSerializable(typeof(ContentBlockStopEvent))]
[JsonSerializable(typeof(MessageDeltaEvent))]
[JsonSerializable(typeof(TypeOnlyEvent))]
[JsonSerializable(typeof(SimulatorStatsSnapshot))]
[JsonSerializable(typeof(SimulatorLimits))]
[JsonSerializable(typeof(MessageBatchResponse))]
[JsonSerializable(typeof(MessageBatchList))]
[JsonSerializable(typeof(MessageBatchDeleted))]
internal sealed partial class SimulatorJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The instance to use: the API escapes quotes as <c>\"</c> and leaves non-ASCII text alone, which the
    /// default encoder would turn into <c>\u0022</c> and <c>\uXXXX</c>.
    /// </summary>
    public static SimulatorJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

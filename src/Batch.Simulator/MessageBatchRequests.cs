using System.Text.Json;
using System.Text.RegularExpressions;

namespace Batch.Simulator;

/// <summary>
/// Reads the body of a create call, <c>{"requests": [{"custom_id", "params"}]}</c>. The envelope and the custom_ids are
/// checked at once (a 400 naming the field); each request's params go through the same validation as a
/// <c>/v1/messages</c> body, and one that fails becomes an <c>errored</c> result, as the API documents.
/// </summary>
internal static partial class MessageBatchRequests
{
    public static ApiError? TryRead(JsonElement root, string apiVersion, SimulatorOptions options, out List<MessageBatchItem> items)
    {
        items = [];
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest("Input should be a JSON object");
        }
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "requests")
            {
                return ApiError.InvalidRequest($"{property.Name}: Extra inputs are not permitted");
            }
        }
        if (!root.TryGetProperty("requests", out var requests))
        {
            return ApiError.InvalidRequest("requests: Field required");
        }
        if (requests.ValueKind != JsonValueKind.Array)
        {
            return ApiError.InvalidRequest("requests: Input should be a valid list");
        }
        var count = requests.GetArrayLength();
        if (count == 0)
        {
            return ApiError.InvalidRequest("requests: List should have at least 1 item");
        }
        if (count > options.BatchMaxRequests)
        {
            return ApiError.RequestTooLarge();
        }

        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        var index = 0;
        foreach (var request in requests.EnumerateArray())
        {
            var path = $"requests.{index++}";
            if (request.ValueKind != JsonValueKind.Object)
            {
                return ApiError.InvalidRequest($"{path}: Input should be a valid dictionary");
            }
            foreach (var property in request.EnumerateObject())
            {
                if (property.Name is not ("custom_id" or "params"))
                {
                    return ApiError.InvalidRequest($"{path}.{property.Name}: Extra inputs are not permitted");
                }
            }
            if (!request.TryGetProperty("custom_id", out var id) || id.ValueKind != JsonValueKind.String || !CustomId().IsMatch(id.GetString()!))
            {
                return ApiError.InvalidRequest($"{path}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'");
            }
            var customId = id.GetString()!;
            if (!seen.Add(customId))
            {
                return ApiError.InvalidRequest($"{path}.custom_id: Duplicate custom_id '{customId}': each request in a batch needs its own");
            }
            if (!request.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
            {
                return ApiError.InvalidRequest($"{path}.params: Field required, a Messages request body");
            }
            items.Add(Item(customId, parameters, apiVersion, options));
        }
        return null;
    }

    /// <summary>
    /// The request as processing needs it, answer included (answers depend only on the prompt): the prompt itself is not
    /// kept, so a large batch costs the simulator its answers' size, not its prompts'.
    /// </summary>
    private static MessageBatchItem Item(string customId, JsonElement parameters, string apiVersion, SimulatorOptions options)
    {
        var error = RequestValidator.TryParse(parameters, apiVersion, countTokens: false, options, out var request);
        if (error is null && request!.Stream)
        {
            error = ApiError.InvalidRequest("stream: Streaming is not supported in a message batch");
        }
        if (error is not null)
        {
            return new MessageBatchItem(customId, null, null, "", error);
        }
        var slim = new MessageRequest { Model = request!.Model, MaxTokens = request.MaxTokens, InputTokens = request.InputTokens, Breakpoints = request.Breakpoints };
        return new MessageBatchItem(customId, slim, ResponseGenerator.Generate(request, options), SimulatorStatsSnapshot.PromptKeyOf(request.LastUserText), null);
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex CustomId();
}

/// <summary>One request of a batch: valid (its slimmed request and its answer) or the error its result will carry.</summary>
internal sealed record MessageBatchItem(string CustomId, MessageRequest? Request, GeneratedAnswer? Answer, string PromptKey, ApiError? Invalid);

using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Data.Entities;
using Batch.Worker.Execution;

namespace Batch.Worker.Requests;

/// <summary>Turns a row into a Messages request body.</summary>
internal static class RequestBuilder
{
    /// <summary>
    /// Template rows: the job's defaults, its system prompt as a cached text block, and the user message
    /// rendered from the row. Params rows: the row's Messages body merged over the same defaults (the row wins).
    /// Then the job's output schema, if it has one; <paramref name="format"/> says how it was asked for.
    /// </summary>
    public static JsonObject Build(JobContext job, string input, out AnswerFormat? format)
    {
        var body = Body(job, input);
        format = job.Output?.Apply(body);
        return body;
    }

    private static JsonObject Body(JobContext job, string input)
    {
        var body = (JsonObject)job.DefaultParams.DeepClone();
        body["model"] = job.Model;
        body["max_tokens"] = job.MaxTokens;
        if (job.SystemPrompt is { Length: > 0 } system)
        {
            body["system"] = new JsonArray(new JsonObject
            {
                ["type"] = "text",
                ["text"] = system,
                ["cache_control"] = new JsonObject { ["type"] = "ephemeral", ["ttl"] = job.CacheTtl == CacheTtl.OneHour ? "1h" : "5m" },
            });
        }

        using var row = JsonDocument.Parse(input);
        if (job.Format == RowFormat.JsonlParams)
        {
            if (row.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RowInputException("the row's params are not a JSON object");
            }
            foreach (var property in JsonObject.Create(row.RootElement)!.ToList())
            {
                body[property.Key] = property.Value?.DeepClone();
            }
            return body;
        }

        var template = job.Template ?? throw new RowInputException("the job has no user template");
        body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = template.Render(row.RootElement) });
        return body;
    }
}

/// <summary>A row that cannot become a request; recorded as failed without sending.</summary>
internal sealed class RowInputException(string message) : Exception(message);

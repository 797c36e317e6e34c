using System.Security.Claims;
using Batch.Api.Authentication;
using Batch.Api.Batches;
using Batch.Api.Jobs;
using Batch.Api.ResultFiles;
using Batch.Api.Uploads;
using Batch.Data.Entities;
using Batch.Data.Retention;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Batch.Api.Apis;

/// <summary>
/// Anthropic's Message Batches API at its own paths and in its own shapes, so code written for it runs on Batch by changing the
/// base URL: a batch is a params-format job of the caller's project. Errors here are in the Messages API's shape.
/// </summary>
public static class MessageBatchesApi
{
    public static IEndpointRouteBuilder MapMessageBatchesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/messages/batches").WithTags("Message Batches (Anthropic-compatible)");

        api.MapPost("/", CreateAsync)
            .WithName("CreateMessageBatch")
            .WithSummary("Create a batch from {\"requests\": [{\"custom_id\", \"params\"}]}: a job of one row per request, read as the body streams in. "
                + "Optional headers batch-delivery (messages, provider_batch, auto) and batch-deadline (RFC 3339 time or a duration such as 30h) choose its delivery.")
            .Accepts<BatchCreateBody>("application/json");
        api.MapGet("/{id}", RetrieveAsync)
            .WithName("RetrieveMessageBatch")
            .WithSummary("A batch: processing_status, request_counts (from the job's counters), times, results_url once ended.");
        api.MapGet("/", ListAsync)
            .WithName("ListMessageBatches")
            .WithSummary("Batches, newest first: limit (1-1000), after_id, before_id; {data, has_more, first_id, last_id}.");
        api.MapPost("/{id}/cancel", CancelAsync)
            .WithName("CancelMessageBatch")
            .WithSummary("Cancel: canceling until requests in flight are recorded, then ended; requests not yet sent are canceled.");
        api.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteMessageBatch")
            .WithSummary("Delete an ended batch and its rows; what it spent stays in the cost reports.");
        api.MapGet("/{id}/results", ResultsAsync)
            .WithName("GetMessageBatchResults")
            .WithSummary("Results as JSONL, one {custom_id, result} a line, once the batch has ended (partial results: GET /api/jobs/{id}/results).")
            .Produces(StatusCodes.Status200OK, contentType: ResultsContentType);
        return app;
    }

    private const string ResultsContentType = "application/x-jsonl";

    private static async Task<Results<Ok<MessageBatch>, AnthropicError>> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, MessageBatchCreator creator, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var delivery = MessageBatchDelivery.Read(request.Headers, out var headerError);
        if (headerError is not null)
        {
            return AnthropicError.InvalidRequest(headerError);
        }
        var (job, error) = await creator.CreateAsync(request, user.ToCaller(), cancellationToken, delivery);
        return job is null ? error! : TypedResults.Ok(MessageBatch.From(job, PublicBaseUrl.For(request, configuration)));
    }

    private static async Task<Results<Ok<MessageBatch>, AnthropicError>> RetrieveAsync(
        string id, HttpRequest request, ClaimsPrincipal user, MessageBatchStore store, IConfiguration configuration, CancellationToken cancellationToken) =>
        await FindAsync(id, user, store, cancellationToken) is { } job
            ? TypedResults.Ok(MessageBatch.From(job, PublicBaseUrl.For(request, configuration)))
            : NotFound(id);

    private static async Task<Results<Ok<MessageBatchList>, AnthropicError>> ListAsync(
        HttpRequest request, ClaimsPrincipal user, MessageBatchStore store, IConfiguration configuration, CancellationToken cancellationToken,
        int limit = MessageBatchStore.DefaultPageSize, [FromQuery(Name = "after_id")] string? afterId = null, [FromQuery(Name = "before_id")] string? beforeId = null)
    {
        if (limit is < 1 or > MessageBatchStore.MaxPageSize)
        {
            return AnthropicError.InvalidRequest($"limit: between 1 and {MessageBatchStore.MaxPageSize}.");
        }
        if (afterId is not null && beforeId is not null)
        {
            return AnthropicError.InvalidRequest("Give after_id or before_id, not both.");
        }
        Guid? after = null, before = null;
        if ((afterId is not null && !TryCursor(afterId, out after)) || (beforeId is not null && !TryCursor(beforeId, out before)))
        {
            return AnthropicError.InvalidRequest($"{(afterId is not null ? "after_id" : "before_id")}: '{afterId ?? beforeId}' is not a batch id.");
        }
        var (page, hasMore) = await store.ListAsync(user.ToCaller(), limit, after, before, cancellationToken);
        var baseUrl = PublicBaseUrl.For(request, configuration);
        var data = page.Select(job => MessageBatch.From(job, baseUrl)).ToList();
        return TypedResults.Ok(new MessageBatchList(data, hasMore, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id));
    }

    private static async Task<Results<Ok<MessageBatch>, AnthropicError>> CancelAsync(
        string id, HttpRequest request, ClaimsPrincipal user, MessageBatchStore store, JobActions actions, IConfiguration configuration,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(id, user, store, cancellationToken) is not { } job)
        {
            return NotFound(id);
        }
        // A batch that has already stopped stays as it is: canceling it again changes nothing, as with Anthropic's.
        await actions.CancelAsync(job.Id, user.ToCaller(), cancellationToken);
        return await store.FindAsync(job.Id, user.ToCaller(), cancellationToken) is { } canceled
            ? TypedResults.Ok(MessageBatch.From(canceled, PublicBaseUrl.For(request, configuration)))
            : NotFound(id);
    }

    private static async Task<Results<Ok<MessageBatchDeleted>, AnthropicError>> DeleteAsync(
        string id, ClaimsPrincipal user, MessageBatchStore store, JobActions actions, IOptions<RetentionOptions> retention, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, user, store, cancellationToken) is not { } job)
        {
            return NotFound(id);
        }
        if (!MessageBatch.HasEnded(job))
        {
            return AnthropicError.InvalidRequest($"Batch {id} is still processing; it can be deleted once ended. Cancel it first.");
        }
        var outcome = await actions.DeleteAsync(job.Id, user.ToCaller(), retention.Value, cancellationToken);
        return outcome switch
        {
            { Found: false } => NotFound(id),
            { Done: false } => AnthropicError.InvalidRequest(outcome.Reason!),
            _ => TypedResults.Ok(new MessageBatchDeleted(id, "message_batch_deleted")),
        };
    }

    private static async Task<IResult> ResultsAsync(string id, ClaimsPrincipal user, MessageBatchStore store, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, user, store, cancellationToken) is not { } job)
        {
            return NotFound(id);
        }
        if (!MessageBatch.HasEnded(job))
        {
            return AnthropicError.InvalidRequest(
                $"Batch {id} has not ended: results are available once processing_status is ended. Partial results: GET /api/jobs/{job.Id}/results.");
        }
        // JSONL whatever Accept says: the TypeScript SDK asks for application/binary.
        return new ResultsDownload(job, ResultsFormat.Jsonl, ResultsContentType, includePending: false, byteOrderMark: false, batchFields: false);
    }

    private static bool TryCursor(string id, out Guid? jobId)
    {
        jobId = MessageBatchIds.TryDecode(id, out var decoded) ? decoded : null;
        return jobId is not null;
    }

    private static async Task<Job?> FindAsync(string id, ClaimsPrincipal user, MessageBatchStore store, CancellationToken cancellationToken) =>
        MessageBatchIds.TryDecode(id, out var jobId) ? await store.FindAsync(jobId, user.ToCaller(), cancellationToken) : null;

    private static AnthropicError NotFound(string id) => AnthropicError.NotFound($"No message batch '{id}' is visible to this API key.");
}

/// <summary>The body of a create, for the API description (the endpoint reads it as it streams).</summary>
public sealed class BatchCreateBody
{
    /// <summary>1 to 100,000 requests {custom_id, params}: params is a Messages API body (model and max_tokens required).</summary>
    public required IReadOnlyList<BatchCreateRequest> Requests { get; init; }
}

/// <summary>One request of a batch.</summary>
public sealed class BatchCreateRequest
{
    /// <summary>^[a-zA-Z0-9_-]{1,64}$, unique in the batch.</summary>
    public required string CustomId { get; init; }

    /// <summary>A Messages API request body.</summary>
    public required System.Text.Json.JsonElement Params { get; init; }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Batch.Simulator;

/// <summary>
/// The Message Batches API under <c>/v1/messages/batches</c>: create, retrieve, list, cancel, delete and results (JSONL),
/// in the API's shapes. Each request's params are validated as <c>/v1/messages</c> validates a body; as with the API, a
/// request that fails comes back as an <c>errored</c> result, while a malformed body or custom_id fails the create call.
/// </summary>
internal static class MessageBatchesApi
{
    public static void MapMessageBatches(this RouteGroupBuilder messages)
    {
        var batches = messages.MapGroup("/batches").AddEndpointFilter(static async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var options = context.RequestServices.GetRequiredService<SimulatorState>().Options;
            return MessagesApi.CheckHeaders(context, options, out _) is { } refused ? refused.ToResult(context) : await next(invocation);
        });
        batches.MapPost("", CreateAsync);
        batches.MapGet("", List);
        batches.MapGet("/{id}", Retrieve);
        batches.MapPost("/{id}/cancel", Cancel);
        batches.MapDelete("/{id}", Delete);
        batches.MapGet("/{id}/results", ResultsAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, SimulatorState state)
    {
        var options = state.Options;
        if (context.Request.ContentLength > options.BatchMaxBytes)
        {
            return ApiError.RequestTooLarge().ToResult(context);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.BatchMaxBytes;
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            return ApiError.InvalidRequest("There was an issue with your request body: it is not valid JSON").ToResult(context);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiError.RequestTooLarge().ToResult(context);
        }

        List<MessageBatchItem> items;
        using (document)
        {
            var version = context.Request.Headers[ApiVersions.HeaderName].ToString();
            if (MessageBatchRequests.TryRead(document.RootElement, version, options, out items) is { } invalid)
            {
                return invalid.ToResult(context);
            }
        }
        if (state.Spend.IsExhausted(options))
        {
            return ApiError.SpendLimitReached().ToResult(context);
        }
        // Before the batch exists: a client that gives up now has created nothing.
        await DelayAsync(options.BatchCreateLatencyMs, state, context.RequestAborted);
        if (state.Batches.Create(items) is not { } batch)
        {
            return ApiError.RateLimited($"The number of batch requests waiting to be processed would exceed your limit of {options.BatchQueueLimit}.")
                .ToResult(context);
        }
        // The batch exists: a client that gives up now never learns its id.
        await DelayAsync(options.BatchCreateResponseDelayMs, state, context.RequestAborted);
        return Json(context, batch);
    }

    private static IResult List(HttpContext context, SimulatorState state, int? limit, string? after_id, string? before_id)
    {
        if (limit is < 1 or > 1000)
        {
            return ApiError.InvalidRequest("limit: Input should be between 1 and 1000").ToResult(context);
        }
        if (state.Batches.List(limit ?? 20, after_id, before_id) is not { } page)
        {
            return ApiError.InvalidRequest($"{(after_id is null ? "before_id" : "after_id")}: no such message batch").ToResult(context);
        }
        var data = page.Batches.Select(b => ResponseOf(context, b)).ToList();
        return TypedResults.Json(
            new MessageBatchList(data, page.HasMore, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id),
            SimulatorJsonContext.Api.MessageBatchList);
    }

    private static IResult Retrieve(HttpContext context, SimulatorState state, string id) =>
        state.Batches.Find(id) is { } batch ? Json(context, batch) : NotFound(context, id);

    private static IResult Cancel(HttpContext context, SimulatorState state, string id) =>
        state.Batches.Cancel(id) is { } batch ? Json(context, batch) : NotFound(context, id);

    private static IResult Delete(HttpContext context, SimulatorState state, string id) => state.Batches.Delete(id) switch
    {
        null => NotFound(context, id),
        false => ApiError.InvalidRequest($"Message batch {id} has not ended: cancel it, and delete it once it has ended.").ToResult(context),
        true => TypedResults.Json(new MessageBatchDeleted(id, "message_batch_deleted"), SimulatorJsonContext.Api.MessageBatchDeleted),
    };

    /// <summary>JSONL, one result per line, in an order of the server's choosing: clients must match on custom_id.</summary>
    private static async Task<IResult> ResultsAsync(HttpContext context, SimulatorState state, string id)
    {
        if (state.Batches.Find(id) is not { } batch)
        {
            return NotFound(context, id);
        }
        if (state.Batches.Results(batch) is not { } lines)
        {
            return ApiError.InvalidRequest($"Message batch {id} has not ended yet: its results are available once it has.").ToResult(context);
        }
        var response = context.Response;
        response.ContentType = "application/x-jsonl";
        var newline = "\n"u8.ToArray();
        foreach (var line in lines)
        {
            await response.Body.WriteAsync(line, context.RequestAborted);
            await response.Body.WriteAsync(newline, context.RequestAborted);
        }
        return TypedResults.Empty;
    }

    private static IResult Json(HttpContext context, MessageBatch batch) =>
        TypedResults.Json(ResponseOf(context, batch), SimulatorJsonContext.Api.MessageBatchResponse);

    private static MessageBatchResponse ResponseOf(HttpContext context, MessageBatch batch)
    {
        var view = batch.View;
        var request = context.Request;
        return view with { ResultsUrl = view.EndedAt is null ? null : $"{request.Scheme}://{request.Host}/v1/messages/batches/{view.Id}/results" };
    }

    private static IResult NotFound(HttpContext context, string id) => ApiError.NotFound($"message_batch: {id} not found").ToResult(context);

    private static Task DelayAsync(double milliseconds, SimulatorState state, CancellationToken cancellationToken) =>
        milliseconds >= 1 ? Task.Delay(TimeSpan.FromMilliseconds(milliseconds), state.Time, cancellationToken) : Task.CompletedTask;
}

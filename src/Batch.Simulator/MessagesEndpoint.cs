using System.Text.Json;
using System.Text.Json.Nodes;

namespace Batch.Simulator;

/// <summary>
/// <c>POST /v1/messages</c>: validation, injected faults, spend cap, rate limits, prompt cache, then the
/// generated answer as JSON or as server-sent events, paced by the latency settings.
/// </summary>
internal static class MessagesEndpoint
{
    // Deltas of 4 tokens each, about what the real API sends.
    private const int ChunkChars = 4 * ApproximateTokenizer.CharsPerToken;

    public static async Task<IResult> CreateAsync(HttpContext context, SimulatorState state)
    {
        using var parsed = await MessagesApi.ReadAsync(context, state, countTokens: false);
        if (parsed.Error is { } error)
        {
            return error.ToResult(context);
        }
        var request = parsed.Request!;
        var options = state.Options;
        var promptKey = SimulatorStatsSnapshot.PromptKeyOf(request.LastUserText);
        state.Stats.PromptSent(promptKey);

        var fault = state.Faults.Draw();
        if (fault is FaultKind.Overloaded or FaultKind.ServerError)
        {
            state.Stats.Fault(fault.Value);
            return (fault == FaultKind.Overloaded ? ApiError.Overloaded() : ApiError.ServerError()).ToResult(context);
        }
        if (state.Spend.IsExhausted(options))
        {
            return ApiError.SpendLimitReached().ToResult(context);
        }

        var plan = state.Cache.Plan(request, options.CacheMinimumFor(request.Model));
        var inputCost = plan.UncachedInputTokens + plan.WriteTokens + (options.CacheReadsCountFor(request.Model) ? plan.ReadTokens : 0);
        var reserve = options.OutputTokenMode == OutputTokenMode.ReserveMaxTokens;
        var reserved = reserve ? request.MaxTokens : 0;
        var limits = RateLimits.ForMessages(options);
        var limiter = state.Limiter.ForMessages(options.ModelClassOf(request.Model));
        var decision = limiter.TryAdmit(limits, inputCost, reserve ? request.MaxTokens : 1, reserved, state.Time.GetUtcNow());
        RateLimitHeaders.Write(context.Response, decision.State);
        if (!decision.Admitted)
        {
            RateLimitHeaders.WriteRetryAfter(context.Response, decision.RetryAfter);
            return ApiError.RateLimited(
                "This request would exceed your organization's rate limit. Please reduce the prompt length, max_tokens or request rate, or try again later.")
                .ToResult(context);
        }

        if (state.Cache.Commit(plan) is { } pending)
        {
            context.Response.OnStarting(static writes =>
            {
                ((PromptCache.PendingWrites)writes).MarkReadable();
                return Task.CompletedTask;
            }, pending);
        }

        var answer = ResponseGenerator.Generate(request, options, state.Faults.DrawFlaw());
        var usage = new UsageTokens(plan.UncachedInputTokens, plan.Write5mTokens, plan.Write1hTokens, plan.ReadTokens, answer.OutputTokens);
        var message = new MessageResponse(
            Ids.Message(), "message", "assistant", request.Model, answer.Content, answer.StopReason, answer.StopSequence, ToUsage(usage));
        var cancellationToken = context.RequestAborted;
        var answered = false;
        try
        {
            if (fault == FaultKind.Stall)
            {
                state.Stats.Fault(FaultKind.Stall);
                await Task.Delay(TimeSpan.FromSeconds(options.StallSeconds), state.Time, cancellationToken);
            }
            answered = request.Stream
                ? await StreamAsync(context, state, message, fault, cancellationToken)
                : await WriteAsync(context, state, message, fault, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the tokens were still spent, as with the real API.
        }
        finally
        {
            limiter.Settle(limits, reserved, answer.OutputTokens, state.Time.GetUtcNow());
            state.Spend.Add(options.PriceFor(request.Model), usage);
            state.Stats.TokensUsed(usage);
            if (answered)
            {
                state.Stats.PromptAnswered(promptKey);
            }
        }
        return TypedResults.Empty;
    }

    /// <param name="serviceTier"><c>standard</c>, or <c>batch</c> for a request answered in a message batch.</param>
    public static Usage ToUsage(in UsageTokens usage, string serviceTier = "standard") => new(
        (int)usage.Input,
        (int)(usage.CacheWrite5m + usage.CacheWrite1h),
        (int)usage.CacheRead,
        new CacheCreation((int)usage.CacheWrite5m, (int)usage.CacheWrite1h),
        (int)usage.Output,
        serviceTier);

    /// <returns>Whether the whole answer was delivered.</returns>
    private static async Task<bool> WriteAsync(HttpContext context, SimulatorState state, MessageResponse message, FaultKind? fault, CancellationToken cancellationToken)
    {
        var options = state.Options;
        await state.DelayAsync(options.TimeToFirstTokenMs + (message.Usage.OutputTokens * options.MsPerOutputToken), cancellationToken);
        var body = JsonSerializer.SerializeToUtf8Bytes(message, SimulatorJsonContext.Api.MessageResponse);
        var response = context.Response;
        response.ContentType = "application/json";
        switch (fault)
        {
            case FaultKind.DropConnection:
                state.Stats.Fault(FaultKind.DropConnection);
                response.ContentLength = body.Length;
                await response.BodyWriter.WriteAsync(body.AsMemory(0, body.Length / 2), cancellationToken);
                context.Abort();
                return false;
            case FaultKind.MalformedJson:
                state.Stats.Fault(FaultKind.MalformedJson);
                var cut = body.AsMemory(0, body.Length * 2 / 3);
                response.ContentLength = cut.Length;
                await response.BodyWriter.WriteAsync(cut, cancellationToken);
                return false;
            default:
                response.ContentLength = body.Length;
                await response.BodyWriter.WriteAsync(body, cancellationToken);
                return true;
        }
    }

    /// <returns>Whether the whole stream was delivered.</returns>
    private static async Task<bool> StreamAsync(HttpContext context, SimulatorState state, MessageResponse message, FaultKind? fault, CancellationToken cancellationToken)
    {
        var options = state.Options;
        var json = SimulatorJsonContext.Api;
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Without pacing there is nothing to show early, so flush once at the end (plus message_start, which starts the response).
        var paced = options.SpeedFactor > 0;
        var sse = new SseWriter(response);
        state.Stats.Streamed();

        await state.DelayAsync(options.TimeToFirstTokenMs, cancellationToken);
        var start = message with { Content = [], StopReason = null, StopSequence = null, Usage = message.Usage with { OutputTokens = 1 } };
        await sse.WriteAsync("message_start", new MessageStartEvent("message_start", start), json.MessageStartEvent, flush: true, cancellationToken);
        if (message.Content.Count == 0)
        {
            await sse.WriteAsync("ping", new TypeOnlyEvent("ping"), json.TypeOnlyEvent, paced, cancellationToken);
        }

        for (var index = 0; index < message.Content.Count; index++)
        {
            var (empty, payload) = message.Content[index] switch
            {
                ToolUseContent tool => ((ContentBlock)(tool with { Input = new JsonObject() }), tool.Input.ToJsonString()),
                TextContent text => (new TextContent(""), text.Text),
                var other => (other, ""),
            };
            await sse.WriteAsync("content_block_start", new ContentBlockStartEvent("content_block_start", index, empty), json.ContentBlockStartEvent, paced, cancellationToken);
            if (index == 0)
            {
                await sse.WriteAsync("ping", new TypeOnlyEvent("ping"), json.TypeOnlyEvent, paced, cancellationToken);
            }

            var faultAt = index == 0 ? payload.Length / 2 / ChunkChars * ChunkChars : -1;
            for (var offset = 0; offset < payload.Length; offset += ChunkChars)
            {
                if (offset == faultAt && fault is FaultKind.DropConnection or FaultKind.MalformedJson or FaultKind.CutStream)
                {
                    state.Stats.Fault(fault.Value);
                    if (fault == FaultKind.CutStream)
                    {
                        // The response ends as if complete: only the missing message_stop tells.
                        await response.BodyWriter.FlushAsync(cancellationToken);
                    }
                    else if (fault == FaultKind.DropConnection)
                    {
                        await response.BodyWriter.FlushAsync(cancellationToken);
                        context.Abort();
                    }
                    else
                    {
                        await sse.WriteMalformedAsync("content_block_delta", cancellationToken);
                    }
                    return false;
                }
                var chunk = payload.Substring(offset, Math.Min(ChunkChars, payload.Length - offset));
                BlockDelta delta = empty is TextContent ? new TextDelta(chunk) : new InputJsonDelta(chunk);
                await sse.WriteAsync("content_block_delta", new ContentBlockDeltaEvent("content_block_delta", index, delta), json.ContentBlockDeltaEvent, paced, cancellationToken);
                await state.DelayAsync(ApproximateTokenizer.CountChars(chunk.Length) * options.MsPerOutputToken, cancellationToken);
            }
            await sse.WriteAsync("content_block_stop", new ContentBlockStopEvent("content_block_stop", index), json.ContentBlockStopEvent, paced, cancellationToken);
        }

        var usage = message.Usage;
        await sse.WriteAsync(
            "message_delta",
            new MessageDeltaEvent(
                "message_delta",
                new MessageDelta(message.StopReason, message.StopSequence),
                new DeltaUsage(usage.InputTokens, usage.CacheCreationInputTokens, usage.CacheReadInputTokens, usage.OutputTokens)),
            json.MessageDeltaEvent,
            paced,
            cancellationToken);
        await sse.WriteAsync("message_stop", new TypeOnlyEvent("message_stop"), json.TypeOnlyEvent, flush: true, cancellationToken);
        return true;
    }
}

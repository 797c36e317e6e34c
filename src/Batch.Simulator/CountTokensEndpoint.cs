namespace Batch.Simulator;

/// <summary><c>POST /v1/messages/count_tokens</c>: the prompt's input tokens, with its own RPM bucket and no cache.</summary>
internal static class CountTokensEndpoint
{
    public static async Task<IResult> CountAsync(HttpContext context, SimulatorState state)
    {
        using var parsed = await MessagesApi.ReadAsync(context, state, countTokens: true);
        if (parsed.Error is { } error)
        {
            return error.ToResult(context);
        }
        var request = parsed.Request!;
        var options = state.Options;
        var decision = state.Limiter.ForCountTokens(options.ModelClassOf(request.Model))
            .TryAdmit(RateLimits.ForCountTokens(options), 0, 0, 0, state.Time.GetUtcNow());
        RateLimitHeaders.Write(context.Response, decision.State);
        if (!decision.Admitted)
        {
            RateLimitHeaders.WriteRetryAfter(context.Response, decision.RetryAfter);
            return ApiError.RateLimited("This request would exceed the rate limit for count_tokens requests per minute.").ToResult(context);
        }
        state.Stats.CountTokensServed();
        return TypedResults.Json(new CountTokensResponse(request.InputTokens), SimulatorJsonContext.Api.CountTokensResponse);
    }
}

namespace Batch.Simulator;

/// <summary>Routes outside <c>/v1</c> for tests and operators: stats, reset and live options. They need the API key too.</summary>
internal static class SimulatorAdminApi
{
    public static IEndpointRouteBuilder MapSimulatorAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/_simulator").AddEndpointFilter(static async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var options = context.RequestServices.GetRequiredService<SimulatorState>().Options;
            return ApiKeyAuthenticator.Check(context.Request, options, allowBearer: true) is { } error
                ? error.ToResult(context)
                : await next(invocation);
        });

        admin.MapGet("/stats", static (SimulatorState state) =>
            TypedResults.Json(state.Snapshot(), SimulatorJsonContext.Api.SimulatorStatsSnapshot));

        admin.MapPost("/reset", static (SimulatorState state) =>
        {
            state.Reset();
            return TypedResults.NoContent();
        });

        admin.MapPost("/options", UpdateOptionsAsync);

        // What a client should budget for: ./batch up gives Batch's default account these, so it neither crawls nor meets 429s.
        admin.MapGet("/limits", static (SimulatorState state) => TypedResults.Json(
            new SimulatorLimits(state.Options.Rpm, state.Options.InputTpm, state.Options.OutputTpm), SimulatorJsonContext.Api.SimulatorLimits));
        return app;
    }

    /// <summary>
    /// Applies a JSON object shaped like the <c>Simulator</c> configuration section (e.g. <c>{"Rpm": 60}</c>)
    /// with the configuration binder, so it accepts exactly what configuration accepts.
    /// </summary>
    private static async Task<IResult> UpdateOptionsAsync(HttpContext context, SimulatorState state)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        body.Position = 0;
        try
        {
            new ConfigurationBuilder().AddJsonStream(body).Build().Bind(state.Options);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            return ApiError.InvalidRequest($"options: {e.Message}").ToResult(context);
        }
        return TypedResults.NoContent();
    }
}

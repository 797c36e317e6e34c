namespace Batch.Simulator;

/// <summary>Wiring of the simulator into an ASP.NET Core application.</summary>
public static class Extensions
{
    /// <summary>Registers one simulator instance whose settings are <paramref name="options"/> (kept live).</summary>
    public static IServiceCollection AddSimulator(this IServiceCollection services, SimulatorOptions options, TimeProvider? timeProvider = null)
    {
        services.AddSingleton(options);
        services.AddSingleton(new SimulatorState(options, timeProvider ?? TimeProvider.System));
        return services;
    }

    /// <summary>Adds the request-id and stats middleware and maps the Messages API and the admin routes.</summary>
    public static WebApplication MapSimulator(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<SimulatorState>();
        app.Use(async (context, next) =>
        {
            context.Response.Headers[Ids.RequestIdHeader] = Ids.Request();
            if (context.Request.Path.StartsWithSegments("/_simulator", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }
            state.Stats.RequestStarted();
            try
            {
                await next(context);
            }
            finally
            {
                state.Stats.RequestEnded(context.Response.StatusCode);
            }
        });
        app.MapMessagesApi();
        app.MapSimulatorAdminApi();
        return app;
    }
}

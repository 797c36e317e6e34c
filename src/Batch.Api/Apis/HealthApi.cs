using Batch.Data;
using Batch.Jobs;
using Hangfire;
using Hangfire.States;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Batch.Api.Apis;

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/health").WithTags("Health");
        api.MapGet("/", GetHealthAsync).WithSummary("Database reachability and the Hangfire servers that are alive.");
        api.MapPost("/worker-probe", ProbeWorkersAsync)
            .WithSummary("Enqueues a probe job and waits for a worker to run it: proves API, Hangfire and a worker end to end.");
        return app;
    }

    public sealed record HealthResponse(bool Database, int HangfireServers, string[] Workers);

    public sealed record ProbeResponse(string HangfireJobId, string State, double ElapsedMs);

    private static async Task<Ok<HealthResponse>> GetHealthAsync(BatchDbContext db, JobStorage storage, CancellationToken cancellationToken)
    {
        var database = await db.Database.CanConnectAsync(cancellationToken);
        var servers = storage.GetMonitoringApi().Servers();
        return TypedResults.Ok(new HealthResponse(database, servers.Count, [.. servers.Select(s => s.Name)]));
    }

    private static async Task<Results<Ok<ProbeResponse>, JsonHttpResult<ProbeResponse>>> ProbeWorkersAsync(
        IBackgroundJobClient jobs, JobStorage storage, TimeProvider time, CancellationToken cancellationToken, int timeoutSeconds = 10)
    {
        var started = time.GetTimestamp();
        var id = jobs.Create<IHealthProbe>(probe => probe.PingAsync(time.GetUtcNow()), new EnqueuedState(BatchQueues.Control));

        // A health check may poll: it waits for another process, and there is nothing to subscribe to.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(timeoutSeconds, 1, 60)));
        var state = "";
        try
        {
            while (true)
            {
                using (var connection = storage.GetConnection())
                {
                    state = connection.GetStateData(id)?.Name ?? "";
                }
                if (state == SucceededState.StateName)
                {
                    return TypedResults.Ok(new ProbeResponse(id, state, time.GetElapsedTime(started).TotalMilliseconds));
                }
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TypedResults.Json(new ProbeResponse(id, state, time.GetElapsedTime(started).TotalMilliseconds), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

using Batch.Data;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Batch.Api.Apis;

/// <summary>
/// Anonymous probes for load balancers and orchestrators: <c>/healthz</c> (the process answers) and <c>/readyz</c>
/// (and reaches its database). They answer <c>Healthy</c> or <c>Unhealthy</c> and nothing else, so they can be open;
/// <c>/api/health</c> (servers, workers) still needs a key.
/// </summary>
public static class ProbesApi
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddBatchProbes(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseReachable>("database", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapProbesApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false })
            .AllowAnonymous()
            .WithTags("Probes")
            .WithSummary("Liveness: 200 Healthy while the process answers. No key needed.");
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) })
            .AllowAnonymous()
            .WithTags("Probes")
            .WithSummary("Readiness: 200 Healthy when the database answers, else 503 Unhealthy. No key needed.");
        return app;
    }

    /// <summary>One round trip to PostgreSQL; the reason of a failure goes to the log, never into the answer.</summary>
    private sealed class DatabaseReachable(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                command.CommandTimeout = 5;
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("The database did not answer.", e);
            }
        }
    }
}

using Batch.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Batch.Telemetry;

/// <summary>
/// Anonymous probes for load balancers and orchestrators, the same in the API and the worker: <c>/healthz</c> (the process
/// answers) and <c>/readyz</c> (its database answers and has every migration this build knows applied). They answer
/// <c>Healthy</c> or <c>Unhealthy</c> and nothing else, so they can be open; the reason of a failure goes to the log.
/// </summary>
public static class BatchProbes
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddBatchProbes(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<MigrationsApplied>("database", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapBatchProbes(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false })
            .AllowAnonymous()
            .WithTags("Probes")
            .WithSummary("Liveness: 200 Healthy while the process answers. No key needed.");
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) })
            .AllowAnonymous()
            .WithTags("Probes")
            .WithSummary("Readiness: 200 Healthy when the database answers and its migrations are applied, else 503 Unhealthy. No key needed.");
        return app;
    }

    /// <summary>One round trip to PostgreSQL: the migrations history against the migrations this build carries.</summary>
    private sealed class MigrationsApplied(BatchDbContext db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(timeout.Token)).ToList();
                return pending.Count == 0
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"Migrations not applied yet: {string.Join(", ", pending)}.");
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("The database did not answer.", e);
            }
        }
    }
}

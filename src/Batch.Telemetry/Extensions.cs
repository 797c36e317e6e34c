using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Batch.Telemetry;

public static class Extensions
{
    /// <summary>
    /// Metrics (Batch's own, ASP.NET Core, HttpClient, Npgsql and the runtime's) for Prometheus scraping, the probes, and
    /// traces exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (standard OTEL_* variables apply).
    /// </summary>
    public static IHostApplicationBuilder AddBatchTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        var services = builder.Services;
        services.AddSingleton<BatchMetrics>();
        services.AddSingleton(new MetricsAccess(builder.Configuration[MetricsAccess.SettingName]));
        services.AddBatchProbes();

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(BatchMetrics.MeterName)
                // The runtime's own meter (.NET 9 and later): GC, heap, thread pool, exceptions.
                .AddMeter("System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Spans are only made when someone receives them: a row's three spans are not free at thousands of rows a second.
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(BatchActivities.SourceName)
                    .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context => !IsOperationsPath(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql())
                .UseOtlpExporter();
        }
        return builder;
    }

    /// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (the latter only for <see cref="MetricsAccess"/>'s networks).</summary>
    public static IEndpointRouteBuilder MapBatchOperations(this IEndpointRouteBuilder app)
    {
        app.MapBatchProbes();
        var access = app.ServiceProvider.GetRequiredService<MetricsAccess>();
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use(access.GuardAsync), optionsName: null)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static bool IsOperationsPath(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Batch.Api.Apis;
using Batch.Api.Authentication;
using Batch.Api.Batches;
using Batch.Api.Dashboard;
using Batch.Api.Estimates;
using Batch.Api.Jobs;
using Batch.Api.Json;
using Batch.Api.OpenApi;
using Batch.Api.Reports;
using Batch.Api.Uploads;
using Batch.Budgets;
using Batch.Data.Retention;
using Batch.Jobs;
using Batch.Messages;
using Batch.Telemetry;
using Hangfire;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Scalar.AspNetCore;

namespace Batch.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddBatchApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddProblemDetails();
        // The API speaks snake_case like the Messages API its users already know.
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            options.SerializerOptions.Converters.Add(new MoneyJsonConverter());
        });
        services.AddOpenApi(options =>
        {
            var security = new ApiKeySecurity();
            options.AddDocumentTransformer(security);
            options.AddOperationTransformer(security);
            options.AddSchemaTransformer<MoneySchema>();
        });
        builder.AddBatchTelemetry("batch-api");
        services.AddSingleton<PendingRowsGauge>();
        // The server's name and version tell a caller nothing it needs.
        services.Configure<KestrelServerOptions>(kestrel => kestrel.AddServerHeader = false);

        services.AddScoped<ApiKeyValidator>();
        services.Configure<UploadOptions>(builder.Configuration.GetSection(UploadOptions.Section));
        services.Configure<WebhookOptions>(builder.Configuration.GetSection(WebhookOptions.SectionName));
        services.Configure<SliceSizing>(builder.Configuration.GetSection(SliceSizing.SectionName));
        services.Configure<RetentionOptions>(builder.Configuration.GetSection(RetentionOptions.SectionName));
        services.AddScoped<JobUploader>();
        services.AddKeyedSingleton(JobUploader.DataSourceKey, (_, _) => new Npgsql.NpgsqlDataSourceBuilder(builder.Configuration.GetConnectionString("Batch"))
        {
            ConnectionStringBuilder = { WriteBufferSize = 256 * 1024 },
        }.Build());
        services.AddScoped<JobStore>();
        services.AddScoped<JobActions>();
        services.AddScoped<JobCosts>();
        services.Configure<BatchesOptions>(builder.Configuration.GetSection(BatchesOptions.Section));
        services.AddScoped<MessageBatchCreator>();
        services.AddScoped<MessageBatchStore>();
        // Estimates count tokens with the provider's count_tokens, under the accounts' shared budgets.
        builder.AddBatchMessages();
        builder.AddBatchBudgets();
        services.Configure<EstimateOptions>(builder.Configuration.GetSection(EstimateOptions.Section));
        services.AddSingleton<TokenCounter>();
        services.AddScoped<JobEstimator>();
        services.AddSingleton<CostReports>();
        services.AddBatchAuthentication(builder.Configuration);
        services.AddAuthorizationBuilder()
            // Every endpoint, the OpenAPI document and the dashboard included, needs a key unless it says otherwise.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(BatchPolicies.Admin, policy => policy.RequireAuthenticatedUser().RequireRole(BatchClaims.AdminRole));

        return builder;
    }

    /// <summary>
    /// Runs the create path once before the API listens (<see cref="MessageBatchCreator.WarmUpAsync"/>). It only saves
    /// time, so a failure is logged and the API starts anyway.
    /// </summary>
    public static async Task WarmUpBatchApiAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await using var scope = app.Services.CreateAsyncScope();
            var requests = await scope.ServiceProvider.GetRequiredService<MessageBatchCreator>().WarmUpAsync(cancellationToken);
            app.Logger.LogDebug("Warmed up the create path with {Requests} requests in {Milliseconds:F0} ms", requests, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception failed) when (failed is not OperationCanceledException)
        {
            app.Logger.LogWarning(failed, "The start-up warm-up of the create path failed; the first create will be slower");
        }
    }

    public static WebApplication MapBatchApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAnthropicCompatibility();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi();
        // Scalar lets its script load without a key; here the whole reference stays behind the key, so only the probes are open.
        var reference = app.MapGroup("");
        // The key's scheme is chosen already, so trying an endpoint asks for the key. Nothing leaves for a third party: the
        // fonts would come from a CDN, and Scalar's AI chat, MCP link and telemetry talk to Scalar's servers (the chat with
        // the whole API description); its developer toolbar offers Scalar's hosted products, not Batch's.
        reference.MapScalarApiReference("/docs", scalar => scalar.AddPreferredSecuritySchemes([ApiKeySecurity.SchemeId])
            .DisableDefaultFonts().DisableAgent().DisableMcp().DisableTelemetry().HideDeveloperTools());
        ((IEndpointConventionBuilder)reference).Finally(endpoint =>
        {
            foreach (var anonymous in endpoint.Metadata.OfType<IAllowAnonymous>().ToList())
            {
                endpoint.Metadata.Remove(anonymous);
            }
        });

        app.MapBatchOperations();
        app.Services.GetRequiredService<PendingRowsGauge>();
        app.MapHealthApi();
        app.MapJobsApi();
        app.MapApiKeysApi();
        app.MapPricesApi();
        app.MapAccountsApi();
        app.MapBudgetsApi();
        app.MapSchedulesApi();
        app.MapReportsApi();
        app.MapProjectsApi();
        app.MapMessageBatchesApi();
        app.MapSignInApi();
        app.MapBatchDashboard();

        return app;
    }
}

using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Batch.Jobs;

public static class Extensions
{
    public const string HangfireSchema = "hangfire";

    /// <summary>
    /// Hangfire on PostgreSQL storage in Batch's own database (schema <c>hangfire</c>), shared by the
    /// API, which enqueues, and the worker, which runs. The connection string never reaches the dashboard.
    /// </summary>
    public static IHostApplicationBuilder AddBatchHangfireStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Batch")
            ?? throw new InvalidOperationException("ConnectionStrings:Batch is not set.");
        var maxPoolSize = builder.Configuration.GetValue("Batch:Hangfire:MaxPoolSize", 50);
        var invisibilityTimeout = builder.Configuration.GetValue("Batch:Hangfire:InvisibilityTimeout", TimeSpan.FromMinutes(5));

        // The storage is this host's own singleton. AddHangfire would otherwise register JobStorage.Current, a process-wide
        // static that the last host to configure Hangfire wins, so two hosts in one process (the tests) could enqueue
        // into each other's databases.
        builder.Services.AddSingleton<JobStorage>(_ =>
        {
            var options = StorageOptions(invisibilityTimeout);
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(WithPoolSize(connectionString, maxPoolSize), options), options);
        });
        // Likewise the activator: AddHangfire registers JobActivator.Current, the last host's, so a worker could build its jobs
        // from another host's services (an API's, or a stopped host's).
        builder.Services.AddSingleton<JobActivator>(services => new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((services, configuration) => configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(services.GetRequiredService<ILoggerFactory>()))
            .UseStorage(services.GetRequiredService<JobStorage>()));
        return builder;
    }

    /// <param name="invisibilityTimeout">How long a job fetched by a process that then died stays invisible before another runs it again.</param>
    private static PostgreSqlStorageOptions StorageOptions(TimeSpan invisibilityTimeout) => new()
    {
        SchemaName = HangfireSchema,
        PrepareSchemaIfNecessary = true,
        // Long polling on LISTEN/NOTIFY: a new chunk is picked up at once, not on the next poll.
        EnableLongPolling = true,
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = invisibilityTimeout,
        QueuePollInterval = TimeSpan.FromSeconds(5),
        DistributedLockTimeout = TimeSpan.FromMinutes(1),
    };

    private static string WithPoolSize(string connectionString, int maxPoolSize) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize }.ConnectionString;
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Batch.Data;

public static class Extensions
{
    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> (for COPY and hand-written SQL on hot paths)
    /// and a pooled <see cref="BatchDbContext"/> on top of it, from <c>ConnectionStrings:Batch</c>.
    /// </summary>
    public static IHostApplicationBuilder AddBatchData(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Batch")
            ?? throw new InvalidOperationException(
                "ConnectionStrings:Batch is not set. Set the environment variable ConnectionStrings__Batch to a PostgreSQL connection string, or start everything with ./batch up.");

        // Created by the container so that stopping a host disposes it and closes its idle connections.
        builder.Services.AddSingleton(_ => BatchDatabase.CreateDataSource(connectionString));
        builder.Services.AddDbContextPool<BatchDbContext>((services, options) =>
            BatchDatabase.Configure(options, services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Applies pending migrations and writes the configured default provider account before the host
    /// starts serving; safe when several processes start at once.
    /// </summary>
    public static async Task MigrateBatchDatabaseAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await BatchDatabase.MigrateAsync(dataSource, cancellationToken);

        await using var scope = host.Services.CreateAsyncScope();
        await DefaultAccount.SyncAsync(
            scope.ServiceProvider.GetRequiredService<BatchDbContext>(),
            scope.ServiceProvider.GetRequiredService<IConfiguration>(),
            scope.ServiceProvider.GetRequiredService<TimeProvider>(),
            cancellationToken);
    }
}

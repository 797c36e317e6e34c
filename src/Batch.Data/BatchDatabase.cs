using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Batch.Data;

/// <summary>How every process and test opens and migrates Batch's database, in one place.</summary>
public static class BatchDatabase
{
    // Any fixed number: processes that start together serialise their migrations on it.
    private const long MigrationLockKey = 0x4261_7463_6830_0001;

    public static NpgsqlDataSource CreateDataSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString).Build();

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options
            .UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history", "batch"))
            .UseSnakeCaseNamingConvention();

    public static BatchDbContext CreateContext(NpgsqlDataSource dataSource)
    {
        var options = new DbContextOptionsBuilder<BatchDbContext>();
        Configure(options, dataSource);
        return new BatchDbContext(options.Options);
    }

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", lockConnection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            await using var context = CreateContext(dataSource);
            await context.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}

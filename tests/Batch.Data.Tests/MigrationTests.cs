using Batch.Data;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Batch.Data.Tests;

public class MigrationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Migrations_cover_every_change_of_the_model()
    {
        await using var context = database.CreateContext();

        Assert.False(context.Database.HasPendingModelChanges(),
            "The EF model has changes that no migration covers. Run: scripts/migration.sh add <Name>");
    }

    [Fact]
    public async Task The_drift_check_sees_a_model_change_without_a_migration()
    {
        // The test above is only worth something if it can fail: add a column the migrations lack.
        var options = new DbContextOptionsBuilder<BatchDbContext>();
        BatchDatabase.Configure(options, database.DataSource);
        options.ReplaceService<IModelCustomizer, ExtraColumnCustomizer>();
        await using var drifted = new BatchDbContext(options.Options);

        Assert.True(drifted.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task The_sql_script_in_migrations_is_generated_from_the_current_migrations()
    {
        await using var context = database.CreateContext();
        var expected = context.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        var actual = await File.ReadAllTextAsync(RepositoryPaths.Combine("migrations", "batch.sql"));

        Assert.True(Normalize(expected) == Normalize(actual),
            "migrations/batch.sql is stale. Run: scripts/migration.sh script");
    }

    [Fact]
    public async Task Migrating_twice_is_harmless_and_seeds_prices_and_model_settings()
    {
        await BatchDatabase.MigrateAsync(database.DataSource);
        await using var context = database.CreateContext();

        var sonnet = await context.ModelPrices.SingleAsync(p => p.ModelPrefix == "claude-sonnet-4-5");
        Assert.Equal(3m, sonnet.InputPerMTok);
        Assert.Equal(3.75m, sonnet.CacheWrite5mPerMTok);
        Assert.Equal(6m, sonnet.CacheWrite1hPerMTok);
        Assert.Equal(0.30m, sonnet.CacheReadPerMTok);
        Assert.Equal(15m, sonnet.OutputPerMTok);
        Assert.Equal(1024, (await context.ModelSettings.SingleAsync(m => m.ModelPrefix == "claude-sonnet-4")).MinCacheableTokens);
        Assert.Empty(await context.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Hangfire_keeps_its_schema_in_the_same_database()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'hangfire' AND table_name = 'job'", connection);

        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    private static string Normalize(string script) => script.Replace("\r\n", "\n", StringComparison.Ordinal).Trim('\uFEFF', '\n', ' ');

    private sealed class ExtraColumnCustomizer(ModelCustomizerDependencies dependencies) : RelationalModelCustomizer(dependencies)
    {
        public override void Customize(ModelBuilder modelBuilder, DbContext context)
        {
            base.Customize(modelBuilder, context);
            modelBuilder.Entity<Entities.Job>().Property<string>("not_migrated_yet");
        }
    }
}

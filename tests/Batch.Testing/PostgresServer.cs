using Batch.Data;
using Hangfire.PostgreSql;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Batch.Testing;

/// <summary>
/// The one PostgreSQL server of a test run, and a template database on it that has Batch's
/// migrations and Hangfire's schema applied. Test classes clone the template, so each gets a
/// fresh, fully migrated database in milliseconds and classes run in parallel.
/// </summary>
public static class PostgresServer
{
    public const string EnvironmentVariable = "BATCH_TEST_DATABASE";
    public const string HangfireSchema = "hangfire";

    private static readonly Lazy<Task<ServerState>> State = new(StartAsync);

    /// <summary>Creates a new database cloned from the migrated template and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var state = await State.Value;
        var name = $"batch_test_{Guid.NewGuid():N}";
        await using (var command = state.Admin.CreateCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{state.TemplateName}\""))
        {
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(state.ServerConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var state = await State.Value;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var command = state.Admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The server's connection string with the maintenance database, for tests that need a server but not Batch's schema.</summary>
    public static async Task<string> GetServerConnectionStringAsync() => (await State.Value).ServerConnectionString;

    private static async Task<ServerState> StartAsync()
    {
        var serverConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(serverConnectionString))
        {
            serverConnectionString = await TryStartContainerAsync()
                ?? throw new InvalidOperationException(
                    $"No PostgreSQL for the tests. Either set {EnvironmentVariable} to a connection string of a role that may create databases " +
                    $"(e.g. {EnvironmentVariable}='Host=localhost;Username=batch;Password=batch;Database=batch'; ./batch test and .ci/run do this for you " +
                    "with a local PostgreSQL cluster), or start a Docker engine so Testcontainers can run postgres:15.");
        }

        var admin = NpgsqlDataSource.Create(serverConnectionString);
        var templateName = $"batch_template_{Environment.ProcessId}_{Guid.NewGuid():N}"[..48];
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{templateName}\""))
        {
            await create.ExecuteNonQueryAsync();
        }

        var templateConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = templateName, Pooling = false }.ConnectionString;
        await using (var template = BatchDatabase.CreateDataSource(templateConnectionString))
        {
            await BatchDatabase.MigrateAsync(template);
            await using var connection = await template.OpenConnectionAsync();
            PostgreSqlObjectsInstaller.Install(connection, HangfireSchema);
        }

        var state = new ServerState(serverConnectionString, admin, templateName);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => state.DropTemplate();
        return state;
    }

    private static async Task<string?> TryStartContainerAsync()
    {
        try
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await container.StartAsync(timeout.Token);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return container.GetConnectionString();
        }
#pragma warning disable CA1031 // Any failure to reach Docker means "no container": the caller explains the alternatives.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private sealed record ServerState(string ServerConnectionString, NpgsqlDataSource Admin, string TemplateName)
    {
        public void DropTemplate()
        {
            try
            {
                using var command = Admin.CreateCommand($"DROP DATABASE IF EXISTS \"{TemplateName}\" WITH (FORCE)");
                command.ExecuteNonQuery();
            }
#pragma warning disable CA1031 // Best effort at process exit; a leftover template is harmless and named by process id.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }
}

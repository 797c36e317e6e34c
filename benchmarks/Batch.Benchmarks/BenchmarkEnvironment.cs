using System.Globalization;
using Batch.Data;
using Hangfire.PostgreSql;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>What every benchmark needs from the machine: the repository, a process's memory, scratch databases.</summary>
internal static class BenchmarkEnvironment
{
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Batch.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Batch.sln not found.");
    }

    /// <summary>A field of /proc/PID/status in megabytes: <c>VmHWM:</c> (peak RSS) or <c>VmRSS:</c>.</summary>
    public static double MemoryMegabytes(int processId, string field = "VmHWM:")
    {
        var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null
            ? double.NaN
            : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>User plus system CPU seconds of a process so far (/proc/PID/stat, in clock ticks of 1/100 s); 0 once it has gone.</summary>
    public static double CpuSeconds(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (IOException)
        {
            return 0;
        }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>CPU seconds of every PostgreSQL server process alive now: compare two readings around work done on a connection that stays open.</summary>
    public static double PostgresCpuSeconds() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && IsPostgres(pid))
            .Sum(CpuSeconds);

    private static bool IsPostgres(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/comm").Trim() == "postgres";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Creates a database of its own on the server (migrated, with Hangfire's schema, when asked) and returns its connection string.</summary>
    public static async Task<string> CreateScratchDatabaseAsync(string server, string prefix, bool migrate, CancellationToken cancellationToken)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..40];
        await using (var admin = NpgsqlDataSource.Create(server))
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        if (migrate)
        {
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            await BatchDatabase.MigrateAsync(dataSource, cancellationToken);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            PostgreSqlObjectsInstaller.Install(connection, Batch.Jobs.Extensions.HangfireSchema);
        }
        return connectionString;
    }

    public static async Task DropScratchDatabaseAsync(string server, string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(server);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" WITH (FORCE)");
        // FORCE may not end an autovacuum worker for a role that is not a superuser (after large deletions one is likely):
        // it finishes its table within seconds, so the drop is tried again for a while.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                await drop.ExecuteNonQueryAsync(CancellationToken.None);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }
}

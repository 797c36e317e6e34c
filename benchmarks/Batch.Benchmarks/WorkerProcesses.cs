using System.Diagnostics;
using System.Text;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Batch.Simulator;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Benchmarks;

/// <summary>
/// A template job for a benchmark: every row fills <see cref="UserTemplate"/> from its <c>id</c> and <c>text</c>; with an
/// <see cref="OutputSchema"/>, every answer is validated against it.
/// </summary>
internal sealed record BenchmarkJob(
    string Name, string Model, string? SystemPrompt, string UserTemplate, int MaxTokens, int Rows, Func<int, string> Text,
    string? OutputSchema = null, OutputMode OutputMode = OutputMode.Auto, Delivery Delivery = Delivery.Messages);

/// <summary>
/// Real worker processes (<c>dotnet src/Batch.Worker/bin/Release/net10.0/Batch.Worker.dll</c>) against a simulator, and
/// the jobs they run: inserted straight into a scratch database (the default account's) and started through Hangfire,
/// as the API would. Shared by the benchmarks that measure the worker end to end.
/// </summary>
internal sealed class WorkerProcesses : IAsyncDisposable
{
    private readonly List<Process> _processes = [];

    private WorkerProcesses()
    {
    }

    public IReadOnlyList<Process> Processes => _processes;

    /// <summary>
    /// Starts <paramref name="count"/> workers on <paramref name="connectionString"/> whose default account is the
    /// simulator, with <paramref name="settings"/> (configuration keys as environment variables, e.g.
    /// <c>Anthropic__Rpm</c>) over unlimited account limits; returns once every one has started.
    /// </summary>
    /// <summary>About what a worker process holds once started (README, "Scaling"), with room for the benchmark's own.</summary>
    private const int ConnectionsPerWorker = 40;

    /// <summary>Says plainly when PostgreSQL cannot take this many workers, instead of failing later with 53300.</summary>
    private static async Task EnsureConnectionsForAsync(int count, string connectionString, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int");
        var available = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (available < count * ConnectionsPerWorker + 10)
        {
            throw new InvalidOperationException(
                $"{count} worker processes need about {count * ConnectionsPerWorker + 10} PostgreSQL connections; this server allows {available}. " +
                "Raise it (as a superuser: ALTER SYSTEM SET max_connections = 300; then restart PostgreSQL) and run again.");
        }
    }

    public static async Task<WorkerProcesses> StartAsync(
        int count, string connectionString, SimulatorServer simulator, IReadOnlyDictionary<string, string>? settings, CancellationToken cancellationToken)
    {
        await EnsureConnectionsForAsync(count, connectionString, cancellationToken);
        var workers = new WorkerProcesses();
        try
        {
            for (var i = 0; i < count; i++)
            {
                workers._processes.Add(await StartOneAsync(connectionString, simulator, settings, cancellationToken));
            }
            return workers;
        }
        catch
        {
            await workers.DisposeAsync();
            throw;
        }
    }

    /// <summary>A simulator with no rate limits and no latency, answering in 5 to 20 tokens: what the worker's throughput is measured against.</summary>
    public static Task<SimulatorServer> StartUnlimitedSimulatorAsync(CancellationToken cancellationToken) =>
        SimulatorServer.StartAsync(o =>
        {
            (o.Rpm, o.InputTpm, o.OutputTpm, o.CountTokensRpm) = (0, 0, 0, 0);
            o.SpeedFactor = 0;
            (o.OutputTokensMin, o.OutputTokensMax) = (5, 20);
        }, cancellationToken);

    /// <summary>Inserts the job (queued, on the default account, which a started worker has written) and its rows, in blocks as an upload does.</summary>
    public static async Task<Guid> InsertJobAsync(NpgsqlDataSource dataSource, BenchmarkJob spec, CancellationToken cancellationToken)
    {
        var jobId = Guid.CreateVersion7();
        await using (var job = dataSource.CreateCommand("""
            INSERT INTO batch.jobs (id, project, name, status, account_id, model, system_prompt, user_template, max_tokens, default_params,
                cache_ttl, priority, row_format, columns, row_count, succeeded_rows, failed_rows, canceled_rows, input_tokens,
                cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, created_at, updated_at,
                output_schema, output_mode, delivery_requested, delivery)
            SELECT $1, 'bench', $2, 0, id, $3, $4, $5, $6, '{}',
                0, 0, 0, ARRAY['id','text'], $7, 0, 0, 0, 0, 0, 0, 0, 0, 0, now(), now(),
                $8, $9, $10, $10
            FROM batch.provider_accounts WHERE name = 'default'
            """))
        {
            job.Parameters.Add(new() { Value = jobId });
            job.Parameters.Add(new() { Value = spec.Name });
            job.Parameters.Add(new() { Value = spec.Model });
            job.Parameters.Add(new() { Value = (object?)spec.SystemPrompt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            job.Parameters.Add(new() { Value = spec.UserTemplate });
            job.Parameters.Add(new() { Value = spec.MaxTokens });
            job.Parameters.Add(new() { Value = spec.Rows });
            job.Parameters.Add(new() { Value = (object?)spec.OutputSchema ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Json });
            job.Parameters.Add(new() { Value = (short)spec.OutputMode });
            job.Parameters.Add(new() { Value = (short)spec.Delivery });
            if (await job.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new InvalidOperationException("No default account: start a worker first.");
            }
        }
        // Stored as an upload stores rows, in blocks the workers expand as they claim, so the figures include that work.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var copy = await RowBlockWriter.StartAsync(connection, jobId, cancellationToken);
        for (var seq = 1; seq <= spec.Rows; seq++)
        {
            await copy.WriteAsync($"row-{seq}", Encoding.UTF8.GetBytes($$"""{"id":"{{seq}}","text":"{{spec.Text(seq)}}"}"""), cancellationToken);
        }
        await copy.CompleteAsync(cancellationToken);
        return jobId;
    }

    /// <summary>Starts the job as <c>POST /api/jobs/{id}/start</c> does: a Hangfire job on the control queue.</summary>
    public static void EnqueueStart(string connectionString, Guid jobId)
    {
        // Long polling makes the enqueue NOTIFY the workers, as the API's does: without it a start waits for the next queue poll.
        var options = new PostgreSqlStorageOptions { SchemaName = Batch.Jobs.Extensions.HangfireSchema, PrepareSchemaIfNecessary = false, EnableLongPolling = true };
        new BackgroundJobClient(new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options))
            .Enqueue<IJobRunner>(BatchQueues.Control, runner => runner.StartAsync(jobId, "test job", CancellationToken.None));
    }

    /// <summary>Waits until the job has completed; throws if a worker exits or the job stops otherwise.</summary>
    public async Task WaitForCompletionAsync(NpgsqlDataSource dataSource, Guid jobId, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var command = dataSource.CreateCommand("SELECT status FROM batch.jobs WHERE id = $1");
            command.Parameters.Add(new() { Value = jobId });
            switch ((short)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                case 3:
                    return;
                case 2 or 4 or 5:
                    throw new InvalidOperationException($"Job {jobId} stopped before completing.");
            }
            if (_processes.Any(w => w.HasExited))
            {
                throw new InvalidOperationException("A worker process exited.");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _processes)
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync(CancellationToken.None);
            worker.Dispose();
        }
        _processes.Clear();
    }

    private static async Task<Process> StartOneAsync(
        string connectionString, SimulatorServer simulator, IReadOnlyDictionary<string, string>? settings, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(BenchmarkEnvironment.RepositoryRoot(), "src", "Batch.Worker", "bin", "Release", "net10.0", "Batch.Worker.dll");
        var start = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["ConnectionStrings__Batch"] = connectionString;
        start.Environment["Anthropic__BaseUrl"] = simulator.BaseUrl.ToString();
        start.Environment["Anthropic__ApiKey"] = simulator.ApiKey;
        start.Environment["Anthropic__Rpm"] = "100000000";
        start.Environment["Anthropic__InputTpm"] = "2000000000";
        start.Environment["Anthropic__OutputTpm"] = "2000000000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        // Several workers run side by side: none takes the default metrics port.
        start.Environment["Batch__Worker__MetricsPort"] = "0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Application started", StringComparison.Ordinal) == true)
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"worker {process.Id}: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        return process;
    }
}

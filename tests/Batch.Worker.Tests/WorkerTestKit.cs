using System.Text.Json;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Batch.Simulator;
using Batch.Testing;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Batch.Worker.Tests;

/// <summary>Jobs inserted the way the API inserts them, worker settings pointing at a simulator, and waiting on conditions.</summary>
internal static class WorkerTestKit
{
    public const string Model = "claude-sonnet-4-5";

    /// <summary>A simulator with no rate limits and a small latency, so requests overlap.</summary>
    public static Task<SimulatorServer> StartSimulatorAsync(Action<SimulatorOptions>? configure = null) =>
        SimulatorServer.StartAsync(options =>
        {
            options.Rpm = 0;
            options.InputTpm = 0;
            options.OutputTpm = 0;
            options.TimeToFirstTokenMs = 20;
            options.MsPerOutputToken = 0;
            options.OutputTokensMin = 5;
            options.OutputTokensMax = 20;
            configure?.Invoke(options);
        });

    public static Dictionary<string, string?> Settings(PostgresDatabase database, SimulatorServer simulator, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            // The test server is shared and has 100 connections: small pools, and idle connections of stopped hosts closed soon.
            ["ConnectionStrings:Batch"] = new NpgsqlConnectionStringBuilder(database.ConnectionString)
            {
                MaxPoolSize = 20,
                ConnectionIdleLifetime = 2,
                ConnectionPruningInterval = 1,
            }.ConnectionString,
            ["Batch:Hangfire:MaxPoolSize"] = "10",
            ["Anthropic:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["Anthropic:ApiKey"] = simulator.ApiKey,
            ["Anthropic:Rpm"] = "1000000",
            ["Anthropic:InputTpm"] = "1000000000",
            ["Anthropic:OutputTpm"] = "1000000000",
            ["Batch:Worker:LeaseDuration"] = "00:00:05",
            ["Batch:Worker:SweepInterval"] = "00:00:01",
            ["Batch:Worker:ClaimBatchSize"] = "20",
            ["Batch:Messages:BaseDelay"] = "00:00:00.020",
            ["Batch:Messages:MaxDelay"] = "00:00:00.200",
            ["Batch:Messages:CircuitBreakDuration"] = "00:00:00.500",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>The rows' user messages: distinct per row, so the simulator's per-prompt counts tell rows apart.</summary>
    public static string PromptOf(int seq) => $"Classify review number {seq}: it was fine.";

    /// <summary>
    /// Inserts a queued template job of <paramref name="rows"/> rows whose user message is <see cref="PromptOf"/>: as rows, or
    /// with <paramref name="blockRows"/> as the upload stores them, in blocks of that many rows that workers expand.
    /// </summary>
    /// <param name="configure">Changes the job before it is stored (its delivery, deadline, cap).</param>
    public static async Task<Guid> CreateTemplateJobAsync(
        PostgresDatabase database, int rows, string? systemPrompt, CacheTtl ttl = CacheTtl.FiveMinutes, int? blockRows = null, Action<Job>? configure = null)
    {
        await using var db = database.CreateContext();
        var account = await db.ProviderAccounts.SingleAsync(a => a.Name == DefaultAccount.Name);
        var job = NewJob(account.Id, RowFormat.CsvTemplate, systemPrompt, ttl);
        configure?.Invoke(job);
        job.UserTemplate = "Classify review number {{ id }}: {{text}}";
        job.Columns = ["id", "text"];
        db.Jobs.Add(job);
        static Dictionary<string, string> Input(int seq) => new() { ["id"] = $"{seq}", ["text"] = "it was fine." };
        if (blockRows is null)
        {
            for (var seq = 1; seq <= rows; seq++)
            {
                db.JobRows.Add(new JobRow { JobId = job.Id, Seq = seq, CustomId = $"row-{seq}", Input = JsonSerializer.Serialize(Input(seq)) });
            }
        }
        job.RowCount = rows;
        await db.SaveChangesAsync();
        if (blockRows is { } size)
        {
            await using var connection = await database.DataSource.OpenConnectionAsync();
            await using var copy = await RowBlockWriter.StartAsync(connection, job.Id, CancellationToken.None, size);
            for (var seq = 1; seq <= rows; seq++)
            {
                await copy.WriteAsync($"row-{seq}", JsonSerializer.SerializeToUtf8Bytes(Input(seq)), CancellationToken.None);
            }
            await copy.CompleteAsync(CancellationToken.None);
        }
        return job.Id;
    }

    /// <summary>Inserts a queued JSONL params job; each row is a whole Messages body (merged over the job's defaults).</summary>
    public static async Task<Guid> CreateParamsJobAsync(PostgresDatabase database, IReadOnlyList<string> rowParams)
    {
        await using var db = database.CreateContext();
        var account = await db.ProviderAccounts.SingleAsync(a => a.Name == DefaultAccount.Name);
        var job = NewJob(account.Id, RowFormat.JsonlParams, systemPrompt: null, CacheTtl.FiveMinutes);
        db.Jobs.Add(job);
        for (var i = 0; i < rowParams.Count; i++)
        {
            db.JobRows.Add(new JobRow { JobId = job.Id, Seq = i + 1, CustomId = $"row-{i + 1}", Input = rowParams[i] });
        }
        job.RowCount = rowParams.Count;
        await db.SaveChangesAsync();
        return job.Id;
    }

    private static Job NewJob(Guid accountId, RowFormat format, string? systemPrompt, CacheTtl ttl)
    {
        var now = DateTimeOffset.UtcNow;
        return new Job
        {
            Id = Guid.CreateVersion7(),
            Project = "test",
            Name = "worker test",
            AccountId = accountId,
            Model = Model,
            MaxTokens = 64,
            SystemPrompt = systemPrompt,
            CacheTtl = ttl,
            RowFormat = format,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>What the API does after creating, resuming or retrying a job.</summary>
    public static void EnqueueStart(IHost host, Guid jobId) =>
        host.Services.GetRequiredService<IBackgroundJobClient>()
            .Enqueue<IJobRunner>(BatchQueues.Control, runner => runner.StartAsync(jobId, "test job", CancellationToken.None));

    /// <summary>Enqueues the job's start through Hangfire's storage, as the API does, for worker processes to run.</summary>
    public static void EnqueueStart(PostgresDatabase database, Guid jobId)
    {
        // Hangfire's log provider is process-wide; an in-process host of an earlier test may have left a disposed one behind.
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
        var options = new PostgreSqlStorageOptions { SchemaName = PostgresServer.HangfireSchema, PrepareSchemaIfNecessary = false };
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(database.ConnectionString, options), options);
        new BackgroundJobClient(storage).EnqueueStart(jobId, "test job");
    }

    public static async Task<Job> ReadJobAsync(PostgresDatabase database, Guid jobId)
    {
        await using var db = database.CreateContext();
        return await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
    }

    public static async Task<List<JobRow>> ReadRowsAsync(PostgresDatabase database, Guid jobId)
    {
        await using var db = database.CreateContext();
        return await db.JobRows.AsNoTracking().Where(r => r.JobId == jobId).OrderBy(r => r.Seq).ToListAsync();
    }

    public static async Task<Job> WaitForStatusAsync(PostgresDatabase database, Guid jobId, JobStatus status, TimeSpan? timeout = null)
    {
        Job? job = null;
        await WaitUntilAsync(async () => (job = await ReadJobAsync(database, jobId)).Status == status, timeout ?? TimeSpan.FromSeconds(60),
            () => $"job {jobId} to be {status}; it is {job?.Status} ({job?.StatusReason}), {job?.Counters.SucceededRows} succeeded, {job?.Counters.FailedRows} failed");
        return job!;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what()}");
            }
            await Task.Delay(50);
        }
    }

    public static async Task<long> ScalarAsync(PostgresDatabase database, string sql, Guid jobId)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(PostgresDatabase database, string sql, Guid jobId)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await command.ExecuteNonQueryAsync();
    }
}

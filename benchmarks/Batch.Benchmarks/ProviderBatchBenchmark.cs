using System.Diagnostics;
using System.Globalization;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Simulator;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// The same job by Messages requests (at a stated RPM budget) and by provider batches (the simulator's Message Batches API
/// at a stated rate), each with one real worker process on a scratch database. Prints both costs and their ratio (goal:
/// exactly 0.5x for the same tokens), both wall times, and the provider-batch run's overshoot over the simulator's own
/// processing time (queue delay + rows / rate; goal: at most one poll interval).
/// Arguments: [rows = 100000] [Messages RPM = 60000] [batch requests/s = 2000] [poll max seconds = 5] [account batch_max_requests = 100000].
/// </summary>
public sealed class ProviderBatchBenchmark : IBenchmark
{
    private const double QueueDelayMs = 1_000;

    public string Name => "provider-batch";

    public string Description => "One job by Messages requests vs by provider batches: cost ratio, wall times, overshoot over the provider's processing time";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var rpm = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60_000;
        var rate = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 2_000;
        var pollMax = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 5;
        var sliceRequests = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 100_000;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");

        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            (o.Rpm, o.InputTpm, o.OutputTpm, o.CountTokensRpm) = (0, 0, 0, 0);
            o.SpeedFactor = 0;
            (o.OutputTokensMin, o.OutputTokensMax) = (5, 20);
            (o.BatchQueueDelayMs, o.BatchRequestsPerSecond) = (QueueDelayMs, rate);
        }, cancellationToken);
        var settings = new Dictionary<string, string>
        {
            ["Anthropic__Rpm"] = rpm.ToString(CultureInfo.InvariantCulture),
            ["Anthropic__BatchMaxRequests"] = sliceRequests.ToString(CultureInfo.InvariantCulture),
            ["Batch__ProviderBatches__PollInitial"] = "00:00:01",
            ["Batch__ProviderBatches__PollMax"] = TimeSpan.FromSeconds(pollMax).ToString("c", CultureInfo.InvariantCulture),
        };

        var batch = await RunAsync(server, simulator, settings, rows, Delivery.ProviderBatch, cancellationToken);
        var messages = await RunAsync(server, simulator, settings, rows, Delivery.Messages, cancellationToken);
        var processing = (QueueDelayMs / 1000) + (rows / rate);

        Console.WriteLine($"{rows:N0} rows, claude-sonnet-4-5, no shared prefix; Messages at {rpm:N0} RPM; provider batches (batch_max_requests {sliceRequests:N0}; slices aim at a 20th of the job) at {rate:N0} requests/s after {QueueDelayMs / 1000:0.#} s, polls 1 s doubling to {pollMax:0.#} s");
        Console.WriteLine($"{"delivery",-15} {"seconds",8} {"input tok",11} {"output tok",11} {"cost USD",12}");
        foreach (var (name, run) in new[] { ("messages", messages), ("provider_batch", batch) })
        {
            Console.WriteLine($"{name,-15} {run.Seconds,8:0.0} {run.InputTokens,11:N0} {run.OutputTokens,11:N0} {run.CostUsd,12}");
        }
        Console.WriteLine($"cost ratio provider_batch / messages: {batch.CostUsd / messages.CostUsd} (same tokens: {batch.InputTokens == messages.InputTokens && batch.OutputTokens == messages.OutputTokens}); goal exactly 0.5");
        Console.WriteLine($"provider processing time {processing:0.0} s; wall {batch.Seconds:0.0} s; overshoot {batch.Seconds - processing:0.0} s; goal at most one poll interval ({pollMax:0.#} s)");
    }

    /// <summary>Where the wall time went: each slice's submit, provider end and import, in seconds from the job's start.</summary>
    private static async Task PrintTimelineAsync(NpgsqlDataSource dataSource, Guid jobId, DateTimeOffset enqueued, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT b.request_count,
                   extract(epoch FROM b.created_at - j.started_at)::float8,
                   extract(epoch FROM b.submitted_at - j.started_at)::float8,
                   extract(epoch FROM b.ended_at - j.started_at)::float8,
                   extract(epoch FROM b.imported_at - j.started_at)::float8,
                   extract(epoch FROM j.finished_at - j.started_at)::float8,
                   extract(epoch FROM j.started_at - $2)::float8
            FROM batch.provider_batches b JOIN batch.jobs j ON j.id = b.job_id
            WHERE b.job_id = $1 ORDER BY b.created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = enqueued });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        Console.WriteLine($"{"slice rows",10} {"intent s",9} {"submitted",9} {"ended",9} {"imported",9} (seconds from the job's start)");
        double? finished = null, started = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            Console.WriteLine($"{reader.GetInt32(0),10:N0} {Seconds(reader, 1),9} {Seconds(reader, 2),9} {Seconds(reader, 3),9} {Seconds(reader, 4),9}");
            finished = reader.IsDBNull(5) ? null : reader.GetDouble(5);
            started = reader.GetDouble(6);
        }
        Console.WriteLine($"the job started {started:0.0} s after it was enqueued and finished {finished:0.0} s after it started");
    }

    private static string Seconds(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? "-" : reader.GetDouble(ordinal).ToString("0.0", CultureInfo.InvariantCulture);

    private sealed record Run(double Seconds, long InputTokens, long OutputTokens, decimal CostUsd);

    private static async Task<Run> RunAsync(
        string server, SimulatorServer simulator, IReadOnlyDictionary<string, string> settings, int rows, Delivery delivery, CancellationToken cancellationToken)
    {
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_provider_batch", migrate: true, cancellationToken);
        try
        {
            await using var workers = await WorkerProcesses.StartAsync(1, connectionString, simulator, settings, cancellationToken);
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            var jobId = await WorkerProcesses.InsertJobAsync(
                dataSource,
                new BenchmarkJob($"by {delivery}", "claude-sonnet-4-5", null, "Label review {{id}}: {{text}}", 32, rows,
                    _ => "Arrived quickly, works as described.", Delivery: delivery),
                cancellationToken);

            var enqueued = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            WorkerProcesses.EnqueueStart(connectionString, jobId);
            await workers.WaitForCompletionAsync(dataSource, jobId, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            if (delivery == Delivery.ProviderBatch)
            {
                await PrintTimelineAsync(dataSource, jobId, enqueued, cancellationToken);
            }
            await using var command = dataSource.CreateCommand("SELECT input_tokens, output_tokens, cost_usd FROM batch.jobs WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = jobId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new Run(seconds, reader.GetInt64(0), reader.GetInt64(1), reader.GetDecimal(2));
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }
}

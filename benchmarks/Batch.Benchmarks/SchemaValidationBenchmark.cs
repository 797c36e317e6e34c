using System.Diagnostics;
using System.Globalization;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Simulator;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// What an output schema costs the worker: CPU seconds (user + system, read from /proc) of one real worker process
/// running the same job without a schema, with structured outputs (answers parsed as JSON) and with a forced tool, against
/// a zero-latency unlimited simulator. CPU time rather than wall time, so other work on the machine does not move it, and
/// with the thread pool's spin-waiting off, since how long idle threads spin depends on that other work too.
/// Variants alternate within each round, each round starting with the next; the figure is the median over rounds of each
/// round's ratio. Each worker runs a job of half the rows first, which pays for compiling the worker's code (its CPU is
/// shown doubled, per row as if it had all the rows), then the measured job, which shows the cost per row. Goal: less than 10% more CPU per row with a schema. Arguments: [rows = 100000] [rounds = 3].
/// </summary>
public sealed class SchemaValidationBenchmark : IBenchmark
{
    private const string Schema = """
        {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
         "reason": {"type": "string"}}, "required": ["sentiment", "reason"], "additionalProperties": false}
        """;

    // Idle thread-pool threads spin before they sleep, for as long as the machine's load lets them: CPU that measures the
    // load, not the work (it moved runs of the same variant by 10-20%). Without it the CPU seconds are the work's.
    private static readonly Dictionary<string, string> NoSpinning = new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" };

    public string Name => "schema";

    public string Description => "Worker CPU per row with an output schema (json_schema, tool) vs none, on a 100k-row job";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench sets it).");

        await using var simulator = await WorkerProcesses.StartUnlimitedSimulatorAsync(cancellationToken);

        (string Label, string? Schema, OutputMode Mode)[] variants = [("none", null, OutputMode.Auto), ("json_schema", Schema, OutputMode.JsonSchema), ("tool", Schema, OutputMode.Tool)];
        var first = variants.ToDictionary(v => v.Label, _ => new List<double>());
        var steady = variants.ToDictionary(v => v.Label, _ => new List<double>());
        Console.WriteLine($"{"variant",-12} {"rows",8} | first job (half the rows): {"seconds",7} {"CPU s x2",7} {"us/row",7} | second job: {"seconds",7} {"rows/s",7} {"CPU s",7} {"us/row",7}");
        for (var round = 0; round < rounds; round++)
        {
            // Each round starts with another variant, so none of them always runs first after a fresh start.
            foreach (var (label, schema, mode) in variants.Skip(round % variants.Length).Concat(variants.Take(round % variants.Length)))
            {
                var run = await RunJobAsync(server, simulator, rows, schema, mode, cancellationToken);
                first[label].Add(run.FirstCpuSeconds);
                steady[label].Add(run.CpuSeconds);
                Console.WriteLine($"{label,-12} {rows,8} | {"",26} {run.FirstSeconds,7:0.0} {run.FirstCpuSeconds,7:0.00} {run.FirstCpuSeconds / rows * 1e6,7:0.0} | {"",11} {run.Seconds,7:0.0} {rows / run.Seconds,7:N0} {run.CpuSeconds,7:0.00} {run.CpuSeconds / rows * 1e6,7:0.0}");
            }
        }
        // Each round's runs follow each other, so a ratio within a round sees about the same load on the machine.
        foreach (var (label, _, _) in variants.Skip(1))
        {
            Console.WriteLine($"{label}: per row (second job) {Ratio(steady, label, rows)}; first job in a fresh worker, compiling included, {Ratio(first, label, rows)}");
        }
        Console.WriteLine("goal: < 1.10x the CPU of no schema, per row");
    }

    private static string Ratio(Dictionary<string, List<double>> cpu, string label, int rows)
    {
        var ratios = cpu[label].Zip(cpu["none"], (with, without) => with / without).Order().ToList();
        var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
        var extra = (cpu[label].Average() - cpu["none"].Average()) / rows * 1e6;
        return $"{median:0.000}x the CPU of no schema (median of {ratios.Count} rounds: {string.Join(", ", ratios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}; {extra:+0.0;-0.0} us a row on average)";
    }

    private sealed record Run(double FirstSeconds, double FirstCpuSeconds, double Seconds, double CpuSeconds);

    private static async Task<Run> RunJobAsync(string server, SimulatorServer simulator, int rows, string? schema, OutputMode mode, CancellationToken cancellationToken)
    {
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_schema", migrate: true, cancellationToken);
        try
        {
            await using var workers = await WorkerProcesses.StartAsync(1, connectionString, simulator, NoSpinning, cancellationToken);
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            // A fresh worker spends its first tens of seconds compiling (its JIT was a third of its CPU for about 16 s, in
            // perf samples): a cost per process, larger with a schema's extra code (JsonSchema.Net), not per row. The first
            // job (half the size) pays it; the second shows what each row costs a worker that has run a while.
            var first = await RunOneAsync(workers, dataSource, connectionString, rows / 2, schema, mode, cancellationToken);
            var second = await RunOneAsync(workers, dataSource, connectionString, rows, schema, mode, cancellationToken);
            return new Run(first.Seconds, first.CpuSeconds * 2, second.Seconds, second.CpuSeconds);
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    private static async Task<(double Seconds, double CpuSeconds)> RunOneAsync(
        WorkerProcesses workers, NpgsqlDataSource dataSource, string connectionString, int rows, string? schema, OutputMode mode, CancellationToken cancellationToken)
    {
        var jobId = await WorkerProcesses.InsertJobAsync(
            dataSource,
            new BenchmarkJob("schema validation", "claude-sonnet-4-5", "You label reviews.", "Label review {{id}}: {{text}}", 64, rows,
                _ => "Arrived quickly, works as described.", schema, mode),
            cancellationToken);
        var worker = workers.Processes[0].Id;
        var cpuBefore = BenchmarkEnvironment.CpuSeconds(worker);
        var clock = Stopwatch.StartNew();
        WorkerProcesses.EnqueueStart(connectionString, jobId);
        await workers.WaitForCompletionAsync(dataSource, jobId, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = BenchmarkEnvironment.CpuSeconds(worker) - cpuBefore;
        await using var failed = dataSource.CreateCommand("SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status <> 2");
        failed.Parameters.Add(new() { Value = jobId });
        if ((long)(await failed.ExecuteScalarAsync(cancellationToken))! is var notSucceeded and > 0)
        {
            throw new InvalidOperationException($"{notSucceeded} rows did not succeed: the comparison would not be of the same work.");
        }
        return (seconds, cpu);
    }
}

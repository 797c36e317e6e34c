using System.Diagnostics;
using System.Globalization;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Simulator;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// What an output schema costs the worker: CPU seconds (user + system, read from /proc) of a real worker process running
/// the same job without a schema, with structured outputs (answers parsed as JSON) and with a forced tool, against a
/// zero-latency unlimited simulator. CPU time rather than wall time, so other work on the machine does not move it, and
/// with the thread pool's spin-waiting off, since how long idle threads spin depends on that other work too.
/// The three variants run in the same worker process, one job after another, so a round compares them in one process (a
/// fresh process compiles anew, and its code may settle differently). Each process first runs a job of half the rows in
/// each variant, compiling all of their code, then rounds of one full job per variant, each round starting with the next.
/// Each round gives a ratio per variant; the figure is their mean, with a 95% confidence interval, since one job's CPU
/// per row moves by about 10% from job to job here. Each job starts on a vacuumed table, so no job pays for the dead rows
/// of the ones before it.
/// Goal: less than 10% more CPU per row with a schema. Arguments: [rows = 100000] [rounds = 3] [processes = 8]: 24 rounds, about 50 minutes on a fast machine, 70 on a slow one.
/// </summary>
public sealed class SchemaValidationBenchmark : IBenchmark
{
    /// <summary>Sample-like: an enum and a string. <see cref="SchemaPartsBenchmark"/> times the same schema.</summary>
    internal const string Schema = """
        {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
         "reason": {"type": "string"}}, "required": ["sentiment", "reason"], "additionalProperties": false}
        """;

    // Idle thread-pool threads spin before they sleep, for as long as the machine's load lets them: CPU that measures the
    // load, not the work (it moved runs of the same variant by 10-20%). Without it the CPU seconds are the work's.
    private static readonly Dictionary<string, string> NoSpinning = new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" };

    internal static readonly (string Label, string? Schema, OutputMode Mode)[] Variants =
        [("none", null, OutputMode.Auto), ("json_schema", Schema, OutputMode.JsonSchema), ("tool", Schema, OutputMode.Tool)];

    public string Name => "schema";

    public string Description => "Worker CPU per row with an output schema (json_schema, tool) vs none, on 100k-row jobs in the same worker";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var processes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench sets it).");

        await using var simulator = await WorkerProcesses.StartUnlimitedSimulatorAsync(cancellationToken);
        var cpu = Variants.ToDictionary(v => v.Label, _ => new List<double>());
        Console.WriteLine($"{"process",7} {"round",7} {"variant",-12} {"rows",8} {"seconds",8} {"rows/s",7} {"CPU s",7} {"us/row",7}");
        for (var process = 1; process <= processes; process++)
        {
            var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_schema", migrate: true, cancellationToken);
            try
            {
                await using var workers = await WorkerProcesses.StartAsync(1, connectionString, simulator, NoSpinning, cancellationToken);
                await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
                // A fresh worker spends its first tens of seconds compiling (its JIT was a third of its CPU for about 16 s,
                // in perf samples), more of it for a schema's code (JsonSchema.Net): a cost per process, not per row.
                foreach (var (label, schema, mode) in Variants)
                {
                    var warmUp = await RunOneAsync(workers, dataSource, connectionString, rows / 2, schema, mode, cancellationToken);
                    Print(process, "warm-up", label, rows / 2, warmUp);
                }
                for (var round = 0; round < rounds; round++)
                {
                    // Each round starts with another variant, so none of them always follows the same one.
                    foreach (var (label, schema, mode) in Variants.Skip(round % Variants.Length).Concat(Variants.Take(round % Variants.Length)))
                    {
                        var run = await RunOneAsync(workers, dataSource, connectionString, rows, schema, mode, cancellationToken);
                        cpu[label].Add(run.CpuSeconds);
                        Print(process, (round + 1).ToString(CultureInfo.InvariantCulture), label, rows, run);
                    }
                }
            }
            finally
            {
                await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
            }
        }
        foreach (var (label, _, _) in Variants)
        {
            Console.WriteLine($"{label}: {Spread(cpu[label], rows)}");
        }
        // A round's jobs follow each other in one process, so a ratio within a round sees about the same machine.
        foreach (var (label, _, _) in Variants.Skip(1))
        {
            Console.WriteLine($"{label}: per row {Ratio(cpu, label, rows)}");
        }
        Console.WriteLine("goal: < 1.10x the CPU of no schema, per row (judged by the top of the 95% interval)");
    }

    private static void Print(int process, string round, string label, int rows, (double Seconds, double CpuSeconds) run) =>
        Console.WriteLine($"{process,7} {round,7} {label,-12} {rows,8} {run.Seconds,8:0.0} {rows / run.Seconds,7:N0} {run.CpuSeconds,7:0.00} {run.CpuSeconds / rows * 1e6,7:0.0}");

    private static string Spread(List<double> cpu, int rows) =>
        $"{cpu.Average() / rows * 1e6:0.0} us a row on average ({cpu.Min() / rows * 1e6:0.0} to {cpu.Max() / rows * 1e6:0.0} over {cpu.Count} jobs)";

    private static string Ratio(Dictionary<string, List<double>> cpu, string label, int rows)
    {
        var ratios = cpu[label].Zip(cpu["none"], (with, without) => with / without).Order().ToList();
        var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
        var extra = (cpu[label].Average() - cpu["none"].Average()) / rows * 1e6;
        var (mean, low, high) = MeanWithInterval(ratios);
        return $"{median:0.000}x the CPU of no schema (median of {ratios.Count} rounds: {string.Join(", ", ratios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}); " +
            $"mean {mean:0.000}x, 95% interval {low:0.000}x to {high:0.000}x; {cpu[label].Sum() / cpu["none"].Sum():0.000}x over all jobs; {extra:+0.0;-0.0} us a row on average";
    }

    /// <summary>
    /// The mean of the rounds' ratios and its 95% confidence interval (Student's t). One job's CPU per row moves by about
    /// 10% from job to job on this machine, as much as the goal's margin, so the goal is judged by the interval's top.
    /// </summary>
    private static (double Mean, double Low, double High) MeanWithInterval(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        if (values.Count < 2)
        {
            return (mean, double.NaN, double.NaN);
        }
        var deviation = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var half = StudentT975(values.Count - 1) * deviation / Math.Sqrt(values.Count);
        return (mean, mean - half, mean + half);
    }

    /// <summary>The 97.5th percentile of Student's t with <paramref name="freedom"/> degrees of freedom (a table; 21 to 30 take 21's, beyond 30 1.96).</summary>
    private static double StudentT975(int freedom) => freedom switch
    {
        1 => 12.706, 2 => 4.303, 3 => 3.182, 4 => 2.776, 5 => 2.571, 6 => 2.447, 7 => 2.365, 8 => 2.306, 9 => 2.262, 10 => 2.228,
        11 => 2.201, 12 => 2.179, 13 => 2.160, 14 => 2.145, 15 => 2.131, 16 => 2.120, 17 => 2.110, 18 => 2.101, 19 => 2.093, 20 => 2.086,
        <= 30 => 2.080,
        _ => 1.960,
    };

    private static async Task<(double Seconds, double CpuSeconds)> RunOneAsync(
        WorkerProcesses workers, NpgsqlDataSource dataSource, string connectionString, int rows, string? schema, OutputMode mode, CancellationToken cancellationToken)
    {
        var jobId = await WorkerProcesses.InsertJobAsync(
            dataSource,
            new BenchmarkJob("schema validation", "claude-sonnet-4-5", "You label reviews.", "Label review {{id}}: {{text}}", 64, rows,
                _ => "Arrived quickly, works as described.", schema, mode),
            cancellationToken);
        // The jobs before this one left dead rows behind: vacuumed now, not by autovacuum in the middle of this job, where it
        // would take PostgreSQL's share of the two cores from whichever variant happened to run then.
        await using (var vacuum = dataSource.CreateCommand("VACUUM (ANALYZE) batch.job_rows, batch.jobs"))
        {
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }
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

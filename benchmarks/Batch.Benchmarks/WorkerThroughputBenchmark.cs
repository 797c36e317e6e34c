using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Batch.Data;
using Batch.Simulator;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// End-to-end rows/s of real worker processes (<c>dotnet Batch.Worker.dll</c>) on a job against a zero-latency,
/// unlimited simulator, with 1 and 2 processes, next to <c>pgbench -N</c> TPS on the same server in the same run
/// (each recorded row costs about one simple-update transaction's worth of work, batched). Goals: at least 2,000
/// rows/s and at least 0.8× pgbench. Then the peak RSS (VmHWM) of one worker on a large job (goal below 300 MB).
/// Needs ConnectionStrings__Batch (./batch bench sets it); makes and drops databases of its own.
/// Arguments: [rows = 100000] [rows of the memory run = 1000000] [pgbench seconds = 15].
/// </summary>
public sealed partial class WorkerThroughputBenchmark : IBenchmark
{
    private const string PgBench = "/usr/lib/postgresql/15/bin/pgbench";

    public string Name => "worker";

    public string Description => "Worker rows/s end to end (1 and 2 processes) vs pgbench -N TPS; worker peak RSS on a 1M-row job";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var memoryRows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var pgbenchSeconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");

        await using var simulator = await WorkerProcesses.StartUnlimitedSimulatorAsync(cancellationToken);

        var tps = await PgBenchAsync(server, pgbenchSeconds, cancellationToken);
        Console.WriteLine($"pgbench -N, 8 clients, {pgbenchSeconds} s: {tps:N0} TPS");
        Console.WriteLine($"{"processes",9} {"rows",9} {"seconds",8} {"rows/s",8} {"x pgbench",9} {"peak RSS MB",11}");
        foreach (var processes in new[] { 1, 2 })
        {
            var run = await RunJobAsync(server, simulator, rows, processes, cancellationToken);
            Console.WriteLine($"{processes,9} {rows,9} {run.Seconds,8:0.0} {rows / run.Seconds,8:N0} {rows / run.Seconds / tps,9:0.00} {run.PeakRssMb,11:N0}");
        }
        if (memoryRows > 0)
        {
            var run = await RunJobAsync(server, simulator, memoryRows, 1, cancellationToken);
            Console.WriteLine($"{1,9} {memoryRows,9} {run.Seconds,8:0.0} {memoryRows / run.Seconds,8:N0} {memoryRows / run.Seconds / tps,9:0.00} {run.PeakRssMb,11:N0}");
        }
        Console.WriteLine("goals: rows/s >= 2,000 and >= 0.8 x pgbench; peak RSS < 300 MB on the 1M-row job");
    }

    private sealed record Run(double Seconds, double PeakRssMb);

    private static async Task<Run> RunJobAsync(string server, SimulatorServer simulator, int rows, int processes, CancellationToken cancellationToken)
    {
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_worker", migrate: true, cancellationToken);
        try
        {
            await using var workers = await WorkerProcesses.StartAsync(processes, connectionString, simulator, settings: null, cancellationToken);
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            var jobId = await WorkerProcesses.InsertJobAsync(
                dataSource,
                new BenchmarkJob("worker throughput", "claude-sonnet-4-5", "You label reviews.", "Label review {{id}}: {{text}}", 32, rows,
                    _ => "Arrived quickly, works as described."),
                cancellationToken);

            var clock = Stopwatch.StartNew();
            WorkerProcesses.EnqueueStart(connectionString, jobId);
            await workers.WaitForCompletionAsync(dataSource, jobId, cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var peak = workers.Processes.Max(worker => BenchmarkEnvironment.MemoryMegabytes(worker.Id));
            return new Run(seconds, peak);
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    private static async Task<double> PgBenchAsync(string server, int seconds, CancellationToken cancellationToken)
    {
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_pgbench", migrate: false, cancellationToken);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            string[] connection = ["-h", builder.Host!, "-p", builder.Port.ToString(CultureInfo.InvariantCulture), "-U", builder.Username!];
            await RunPgBenchAsync(builder, [.. connection, "-i", "-q", "-s", "10", builder.Database!], cancellationToken);
            var output = await RunPgBenchAsync(builder, [.. connection, "-N", "-c", "8", "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture), builder.Database!], cancellationToken);
            var match = TpsLine().Match(output);
            return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"No TPS in pgbench's output:\n{output}");
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    private static async Task<string> RunPgBenchAsync(NpgsqlConnectionStringBuilder builder, string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(PgBench, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"pgbench failed: {await errors}");
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}

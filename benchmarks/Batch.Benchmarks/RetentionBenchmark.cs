using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Data.Retention;
using Batch.Worker;
using Batch.Worker.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// Deleting a 1M-row job while another job's results are written through the real <see cref="ResultWriter"/>: the longest
/// time any write waited on a lock (sampled from <c>pg_stat_activity</c> every 2 ms) and write latencies, for retention's
/// batched deletion against a single <c>DELETE</c> of the job (the cascade in one transaction) and against no deletion.
/// </summary>
public sealed class RetentionBenchmark : IBenchmark
{
    private const string WriterApplication = "bench-retention-writer";

    public string Name => "retention";

    public string Description => "Longest lock wait of other jobs' result writes while a 1M-row job is deleted: batched vs one DELETE vs none";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_retention", migrate: true, cancellationToken);
        try
        {
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            await using (var context = BatchDatabase.CreateContext(dataSource))
            {
                await DefaultAccount.SyncAsync(context, new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), TimeProvider.System, cancellationToken);
            }
            var clock = Stopwatch.StartNew();
            var batched = await InsertJobAsync(dataSource, rows, leased: false, cancellationToken);
            var single = await InsertJobAsync(dataSource, rows, leased: false, cancellationToken);
            var writing = await InsertJobAsync(dataSource, 400_000, leased: true, cancellationToken);
            await ExecuteAsync(dataSource, "VACUUM ANALYZE", cancellationToken);
            Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}; {rows:N0} rows x 2 written in {clock.Elapsed.TotalSeconds:0} s");

            var writerConnection = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = WriterApplication }.ConnectionString;
            await using var writerSource = BatchDatabase.CreateDataSource(writerConnection);
            var writer = new ResultWriter(writerSource, new FixedOptions(new WorkerOptions()), NullLogger<ResultWriter>.Instance);
            await writer.StartAsync(cancellationToken);
            var next = 0;
            Console.WriteLine($"{"while",-34} {"seconds",8} {"writes",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"longest lock wait ms",21}");
            async Task PhaseAsync(string name, Func<Task> deletion)
            {
                var phase = await MeasureAsync(dataSource, writer, writing, () => Interlocked.Add(ref next, 100) - 100, deletion, cancellationToken);
                Console.WriteLine($"{name,-34} {phase.Seconds,8:0.0} {phase.Latencies.Count,8} {Percentile(phase.Latencies, 0.5),8:0.0} " +
                    $"{Percentile(phase.Latencies, 0.99),8:0.0} {phase.Latencies.Max(),8:0.0} {phase.LongestLockWaitMs,21:0.0}");
            }
            await PhaseAsync("no deletion (10 s)", () => Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
            await PhaseAsync($"retention: {JobDeletion.DefaultBatchRows:N0} rows a statement", () => JobDeletion.DeleteAsync(dataSource, batched, JobDeletion.DefaultBatchRows, null, cancellationToken));
            await PhaseAsync("one DELETE of the job (cascade)", () => ExecuteAsync(dataSource, $"DELETE FROM batch.jobs WHERE id = '{single}'", cancellationToken));
            await writer.StopAsync(CancellationToken.None);
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    /// <summary>Writes 100 rows of <paramref name="jobId"/> every 50 ms (2,000 rows/s) until the deletion ends, sampling lock waits.</summary>
    private static async Task<(double Seconds, List<double> Latencies, double LongestLockWaitMs)> MeasureAsync(
        NpgsqlDataSource dataSource, ResultWriter writer, Guid jobId, Func<int> nextSeq, Func<Task> deletion, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var latencies = new ConcurrentBag<double>();
        var started = Stopwatch.StartNew();
        var writing = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var first = nextSeq();
                var writes = Enumerable.Range(first + 1, 100).Select(async seq =>
                {
                    var sent = Stopwatch.GetTimestamp();
                    await writer.WriteAsync(new RowResult(jobId, seq, LeaseToken, RowStatus.Succeeded, 1, new TokenUsage(20, 0, 0, 0, 10), 0.0002m,
                        OutputText: "positive", StopReason: "end_turn", Model: "claude-sonnet-4-5"));
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                }).ToList();
                await Task.WhenAll(writes);
                await Task.Delay(50, CancellationToken.None);
            }
        }, CancellationToken.None);
        var sampling = SampleLockWaitsAsync(dataSource, done.Token);
        await deletion();
        var seconds = started.Elapsed.TotalSeconds;
        await done.CancelAsync();
        await writing;
        return (seconds, [.. latencies], await sampling);
    }

    /// <summary>The longest continuous wait for a lock seen on any of the writer's connections.</summary>
    private static async Task<double> SampleLockWaitsAsync(NpgsqlDataSource dataSource, CancellationToken done)
    {
        var longest = 0.0;
        var waitingSince = new Dictionary<int, DateTime>();
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(
            $"SELECT pid FROM pg_stat_activity WHERE application_name = '{WriterApplication}' AND wait_event_type = 'Lock'", connection);
        while (!done.IsCancellationRequested)
        {
            var now = DateTime.UtcNow;
            var waiting = new HashSet<int>();
            await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None))
                {
                    waiting.Add(reader.GetInt32(0));
                }
            }
            foreach (var pid in waiting)
            {
                waitingSince.TryAdd(pid, now);
                longest = Math.Max(longest, (now - waitingSince[pid]).TotalMilliseconds);
            }
            foreach (var pid in waitingSince.Keys.Where(pid => !waiting.Contains(pid)).ToList())
            {
                waitingSince.Remove(pid);
            }
            try
            {
                await Task.Delay(2, done);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return longest;
    }

    private static readonly Guid LeaseToken = Guid.Parse("0193a5c2-0000-7000-8000-000000000001");

    /// <summary>A completed job of recorded rows (or one whose rows are all leased by <see cref="LeaseToken"/>, for the writer).</summary>
    private static async Task<Guid> InsertJobAsync(NpgsqlDataSource dataSource, int rows, bool leased, CancellationToken cancellationToken)
    {
        var jobId = Guid.CreateVersion7();
        await ExecuteAsync(dataSource, $"""
            INSERT INTO batch.jobs (id, project, name, status, account_id, model, max_tokens, default_params, cache_ttl, priority, row_format, columns,
                row_count, succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
                output_tokens, cost_usd, created_at, started_at, finished_at, updated_at)
            SELECT '{jobId}', 'bench', 'retention bench', {(leased ? 1 : 3)}, id, 'claude-sonnet-4-5', 64, jsonb_build_object(), 0, 0, 0, ARRAY['text'],
                {rows}, 0, 0, 0, 0, 0, 0, 0, 0, 0, now(), now(), {(leased ? "NULL" : "now()")}, now()
            FROM batch.provider_accounts WHERE is_default
            """, cancellationToken);
        for (var from = 1; from <= rows; from += 250_000)
        {
            var to = Math.Min(rows, from + 249_999);
            await ExecuteAsync(dataSource, $"""
                INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, lease_token, lease_expires_at, input_tokens,
                    cache_write5m_tokens, cache_write1h_tokens, cache_read_tokens, output_tokens, output_text, stop_reason, completed_at)
                SELECT '{jobId}', s, 'row-' || s, jsonb_build_object('text', 'A review of a product, number ' || s),
                    {(leased ? "1, 1, '" + LeaseToken + "', now() + interval '1 day'" : "2, 1, NULL, NULL")}, 20, 0, 0, 0, 40,
                    repeat('The review is positive about the product. ', 5), 'end_turn', now()
                FROM generate_series({from}, {to}) s
                """, cancellationToken);
        }
        return jobId;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }

    private sealed class FixedOptions(WorkerOptions value) : IOptionsMonitor<WorkerOptions>
    {
        public WorkerOptions CurrentValue => value;

        public WorkerOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<WorkerOptions, string?> listener) => null;
    }
}

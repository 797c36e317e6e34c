using System.Diagnostics;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>Timing runs (after warm-ups) and their percentiles, and long SQL statements for generating data.</summary>
internal static class Timings
{
    public static async Task<(List<double> Milliseconds, string Last)> TimeAsync(int runs, Func<Task<string>> run, int warmups = 2)
    {
        var last = "";
        for (var i = 0; i < warmups; i++)
        {
            last = await run();
        }
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            last = await run();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return (times, last);
    }

    public static double Percentile(List<double> values, double share)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(share * sorted.Count) - 1)];
    }

    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 3600;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

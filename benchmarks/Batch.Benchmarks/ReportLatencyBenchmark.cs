using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Batch.Data;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// Cost report latency over a month of recorded rows (10M rows in 1,000 jobs by default, 10 projects, 3 accounts, 4 models,
/// generated with SQL, and their hourly rollup built as the result writer's upsert builds it) through the API, against a
/// <c>GROUP BY</c> scan of <c>job_rows</c> answering the same question in the same run; both totals must agree to the last
/// decimal. Goals: under 50 ms, and at least 100x faster than the scan. Needs ConnectionStrings__Batch (./batch bench sets
/// it); makes and drops a database of its own. Arguments: [rows = 10000000] [jobs = 1000] [timed runs = 20].
/// </summary>
public sealed class ReportLatencyBenchmark : IBenchmark
{
    public string Name => "reports";

    public string Description => "Cost report latency from the rollup (API) vs a GROUP BY scan of job_rows, 10M rows in 1,000 jobs";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
        var jobs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_reports", migrate: true, cancellationToken);
        try
        {
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            var month = await GenerateAsync(dataSource, rows, jobs, cancellationToken);
            await using var api = await BatchApiProcess.StartAsync(connectionString, cancellationToken);
            var from = month.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = month.AddMonths(1).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

            Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine($"{"report (API, JSON)",-34} {"lines",6} {"median ms",10} {"p95 ms",8}");
            var reports = new[] { "day", "day,model", "job", "hour,project", "account,model" };
            var medians = new Dictionary<string, double>();
            decimal reportTotal = 0;
            foreach (var groupBy in reports)
            {
                var url = $"/api/reports/costs?from={from}&to={to}&group_by={groupBy}";
                var (times, body) = await Timings.TimeAsync(runs, async () => await api.Client.GetStringAsync(new Uri(url, UriKind.Relative), cancellationToken));
                using var document = JsonDocument.Parse(body);
                medians[groupBy] = Timings.Percentile(times, 0.5);
                reportTotal = document.RootElement.GetProperty("total").GetProperty("cost_usd").GetDecimal();
                Console.WriteLine($"group_by={groupBy,-25} {document.RootElement.GetProperty("data").GetArrayLength(),6} {medians[groupBy],10:0.0} {Timings.Percentile(times, 0.95),8:0.0}");
            }

            // The same question as group_by=day, answered from the rows themselves.
            var scanSql = """
                SELECT (r.completed_at AT TIME ZONE 'UTC')::date, count(*), sum(r.attempts), sum(r.input_tokens), sum(r.cache_write5m_tokens),
                       sum(r.cache_write1h_tokens), sum(r.cache_read_tokens), sum(r.output_tokens), sum(r.cost_usd)
                FROM batch.job_rows r
                WHERE r.completed_at >= $1 AND r.completed_at < $2 AND r.status IN (2, 3)
                GROUP BY 1 ORDER BY 1
                """;
            var start = new DateTimeOffset(month.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            decimal scanTotal = 0;
            var (scanTimes, _) = await Timings.TimeAsync(3, async () =>
            {
                await using var command = dataSource.CreateCommand(scanSql);
                command.CommandTimeout = 600;
                command.Parameters.Add(new() { Value = start });
                command.Parameters.Add(new() { Value = start.AddMonths(1) });
                scanTotal = 0;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    scanTotal += reader.GetDecimal(8);
                }
                return "";
            }, warmups: 1);
            var scan = Timings.Percentile(scanTimes, 0.5);
            Console.WriteLine($"{"GROUP BY scan of job_rows (day)",-34} {"",6} {scan,10:0.0} {scanTimes.Max(),8:0.0}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"group_by=day: {medians["day"]:0.0} ms vs scan {scan:0} ms: {scan / medians["day"]:N0}x faster; totals {(reportTotal == scanTotal ? "equal" : "DIFFER")} ({reportTotal} USD)"));
            Console.WriteLine("goals: under 50 ms, and at least 100x faster than the scan");
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    /// <summary>Recorded rows over last month, then their rollup; returns the month's first day.</summary>
    private static async Task<DateOnly> GenerateAsync(NpgsqlDataSource dataSource, long rows, int jobs, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var perJob = rows / jobs;
        var today = DateTime.UtcNow;
        var month = new DateOnly(today.Year, today.Month, 1).AddMonths(-1);
        var monthStart = month.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.provider_accounts (id, name, base_url, api_key_reference, api_version, rpm, input_tpm, output_tpm, output_budget_mode,
                is_default, created_at, updated_at)
            SELECT gen_random_uuid(), 'account-' || a, 'http://127.0.0.1:9', 'Accounts:Bench:ApiKey', '2023-06-01', 50, 30000, 8000, 0, false, now(), now()
            FROM generate_series(1, 3) a
            """, cancellationToken);
        // Jobs start 40 minutes apart over the month; each records its rows over about two hours.
        await Timings.ExecuteAsync(dataSource, $$"""
            INSERT INTO batch.jobs (id, project, name, status, account_id, model, system_prompt, user_template, max_tokens, default_params, cache_ttl,
                priority, row_format, columns, row_count, succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, created_at, started_at, finished_at, updated_at)
            SELECT gen_random_uuid(), 'project-' || (i % 10), 'bench job ' || i, 3,
                (SELECT id FROM batch.provider_accounts ORDER BY name OFFSET (i % 3) LIMIT 1),
                (ARRAY['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-6'])[1 + i % 4],
                'You label reviews.', 'Label the review.', 64, '{}', 0, 0, 0, ARRAY['text'], {{perJob}}, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                timestamptz '{{monthStart}} 00:00:00+00' + (i - 1) * interval '40 minutes',
                timestamptz '{{monthStart}} 00:00:00+00' + (i - 1) * interval '40 minutes', NULL, now()
            FROM generate_series(1, {{jobs}}) i
            """, cancellationToken);
        var batches = 10;
        for (var batch = 0; batch < batches; batch++)
        {
            // One row in 200 failed (no usage, no cost); the first row of a job writes the cache, the others read it.
            await Timings.ExecuteAsync(dataSource, $$"""
                WITH j AS (SELECT id, model, started_at, row_number() OVER (ORDER BY id) AS n FROM batch.jobs),
                p AS (SELECT DISTINCT ON (model_prefix) * FROM batch.model_prices ORDER BY model_prefix, effective_from DESC)
                INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, input_tokens, cache_write5m_tokens, cache_write1h_tokens,
                    cache_read_tokens, output_tokens, model, cost_usd, completed_at)
                SELECT j.id, s, 'row-' || s, '{"text": "x"}'::jsonb, CASE WHEN s % 200 = 0 THEN 3 ELSE 2 END, 1 + (s % 97 = 0)::int,
                    t.input, t.w5m, 0, t.reads, t.output, j.model,
                    CASE WHEN s % 200 = 0 THEN NULL
                         ELSE round((t.input * p.input_per_m_tok + t.w5m * p.cache_write5m_per_m_tok + t.reads * p.cache_read_per_m_tok + t.output * p.output_per_m_tok) / 1000000, 10) END,
                    j.started_at + s * interval '700 milliseconds'
                FROM j JOIN p ON p.model_prefix = j.model
                CROSS JOIN generate_series(1, {{perJob}}) s
                CROSS JOIN LATERAL (SELECT
                    CASE WHEN s % 200 = 0 THEN 0 ELSE 20 + s % 50 END AS input,
                    CASE WHEN s = 1 THEN 1500 ELSE 0 END AS w5m,
                    CASE WHEN s % 200 = 0 OR s = 1 THEN 0 ELSE 1500 END AS reads,
                    CASE WHEN s % 200 = 0 THEN 0 ELSE 10 + s % 90 END AS output) t
                WHERE j.n % {{batches}} = {{batch}}
                """, cancellationToken);
            Console.WriteLine($"rows: batch {batch + 1} of {batches} written ({clock.Elapsed.TotalSeconds:0} s)");
        }
        // The rollup, as the result writer's upsert makes it: one row per UTC hour, project, account, model, job and price row.
        await Timings.ExecuteAsync(dataSource, """
            WITH p AS (SELECT DISTINCT ON (model_prefix) * FROM batch.model_prices ORDER BY model_prefix, effective_from DESC)
            INSERT INTO batch.cost_rollups (hour, project, account_id, model, job_id, price_id, rows, requests, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, cache_savings_usd, batch_savings_usd)
            SELECT date_trunc('hour', r.completed_at, 'UTC'), j.project, j.account_id, r.model, r.job_id, p.id, count(*), sum(r.attempts),
                sum(r.input_tokens), sum(r.cache_write5m_tokens), sum(r.cache_write1h_tokens), sum(r.cache_read_tokens), sum(r.output_tokens),
                coalesce(sum(r.cost_usd), 0),
                sum(r.cache_read_tokens * (p.input_per_m_tok - p.cache_read_per_m_tok) - r.cache_write5m_tokens * (p.cache_write5m_per_m_tok - p.input_per_m_tok)) / 1000000,
                0
            FROM batch.job_rows r JOIN batch.jobs j ON j.id = r.job_id JOIN p ON p.model_prefix = r.model
            GROUP BY 1, 2, 3, 4, 5, 6
            """, cancellationToken);
        await Timings.ExecuteAsync(dataSource, "ANALYZE batch.job_rows; ANALYZE batch.cost_rollups; ANALYZE batch.jobs", cancellationToken);
        await using var count = dataSource.CreateCommand("SELECT (SELECT count(*) FROM batch.job_rows), (SELECT count(*) FROM batch.cost_rollups), pg_size_pretty(pg_total_relation_size('batch.job_rows'))");
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        Console.WriteLine($"generated {reader.GetInt64(0):N0} rows ({reader.GetString(2)}) in {jobs:N0} jobs, {reader.GetInt64(1):N0} rollup rows, in {clock.Elapsed.TotalSeconds:0} s");
        return month;
    }
}

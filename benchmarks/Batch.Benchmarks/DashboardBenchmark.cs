using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Batch.Data;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// Server time of each dashboard page (and its live refresh) with 1,000 jobs and a running 1M-row job in the database
/// (rows, per-minute samples, error counts, rollup, budgets with eleven minutes of usage slots, all generated with SQL),
/// through a real API process over loopback, against Hangfire's own Recurring Jobs page in the same run. Times are the
/// whole request as the client sees it (authentication, queries, drawing, transfer): an upper bound of server time.
/// Goal: every page under 100 ms. Needs ConnectionStrings__Batch (./batch bench sets it); makes and drops a database of
/// its own. Arguments: [rows of the big job = 1000000] [other jobs = 999] [timed runs = 30].
/// </summary>
public sealed class DashboardBenchmark : IBenchmark
{
    public string Name => "dashboard";

    public string Description => "Dashboard pages' server time with 1,000 jobs and a 1M-row job, vs Hangfire's own page";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var jobs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 999;
        var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_dashboard", migrate: true, cancellationToken);
        try
        {
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
            var (big, small) = await GenerateAsync(dataSource, rows, jobs, cancellationToken);
            await using var api = await BatchApiProcess.StartAsync(connectionString, cancellationToken);

            Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
            // "drawn": Hangfire's own figure in each page's footer, the drawing of the page and its layout (not its data).
            Console.WriteLine($"{"page",-52} {"KB",6} {"median ms",10} {"p95 ms",8} {"drawn ms",9}");
            var pages = new (string Name, string Path)[]
            {
                ("Hangfire's Recurring Jobs (baseline)", "/hangfire/recurring"),
                ("Batches", "/hangfire/batches"),
                ("Batches, running, one project, page 2", "/hangfire/batches?status=running&project=project-3&from=20"),
                ("Batches, live refresh (JSON)", "/hangfire/batches/live"),
                ("the 1M-row batch", $"/hangfire/batches/{big}"),
                ("the 1M-row batch, live refresh (JSON)", $"/hangfire/batches/{big}/live"),
                ("a small batch", $"/hangfire/batches/{small}"),
                ("Budgets", "/hangfire/budgets"),
                ("Budgets, live refresh (JSON)", "/hangfire/budgets/live"),
                ("Costs", "/hangfire/costs"),
            };
            var medians = new List<(string Name, double Median)>();
            foreach (var (name, path) in pages)
            {
                var (times, body) = await Timings.TimeAsync(runs, async () => await api.Client.GetStringAsync(new Uri(path, UriKind.Relative), cancellationToken), warmups: 3);
                var median = Timings.Percentile(times, 0.5);
                medians.Add((name, median));
                var drawn = Regex.Match(body, @"Generated: ([0-9.,]+) ?ms") is { Success: true } footer ? footer.Groups[1].Value : "";
                Console.WriteLine($"{name,-52} {body.Length / 1024.0,6:0} {median,10:0.0} {Timings.Percentile(times, 0.95),8:0.0} {drawn,9}");
            }
            var baseline = medians[0].Median;
            var slowest = medians.Skip(1).MaxBy(m => m.Median);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"slowest: {slowest.Name} {slowest.Median:0.0} ms ({slowest.Median / baseline:0.0}x Hangfire's own page, {baseline:0.0} ms)"));
            Console.WriteLine("goal: every page under 100 ms");
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    /// <summary>
    /// Three accounts; a running job of <paramref name="rows"/> rows, 60 % recorded over the last four hours; other jobs in
    /// every status over the month with a few rows, minutes and rollup hours each. Returns the big job's id and a small one's.
    /// </summary>
    private static async Task<(Guid Big, Guid Small)> GenerateAsync(NpgsqlDataSource dataSource, int rows, int jobs, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var big = Guid.CreateVersion7();
        var recorded = rows * 6 / 10;
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.provider_accounts (id, name, base_url, api_key_reference, api_version, rpm, input_tpm, output_tpm, output_budget_mode,
                is_default, created_at, updated_at)
            SELECT gen_random_uuid(), 'account-' || a, 'http://127.0.0.1:9', 'Accounts:Bench:ApiKey', '2023-06-01', 4000, 2000000, 400000, 0, false, now(), now()
            FROM generate_series(1, 3) a
            """, cancellationToken);
        // Jobs over the last 30 days, newest first in id order; a fiftieth still running, a few paused, the rest finished.
        await Timings.ExecuteAsync(dataSource, $$"""
            INSERT INTO batch.jobs (id, project, name, status, status_reason, account_id, model, system_prompt, user_template, max_tokens, default_params,
                cache_ttl, priority, row_format, columns, row_count, succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, created_at, started_at, finished_at, updated_at)
            SELECT gen_random_uuid(), 'project-' || (i % 10), 'Nightly reviews ' || i, s.status, NULL,
                (SELECT id FROM batch.provider_accounts ORDER BY name OFFSET (i % 3) LIMIT 1),
                (ARRAY['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-6'])[1 + i % 4],
                'You label reviews as positive, negative or mixed.', 'Label the review.', 64, '{}', 0, 0, 0, ARRAY['text'],
                1000, s.done * 98 / 100, s.done * 2 / 100, 0, s.done * 40, 1500, 0, s.done * 1500, s.done * 30, s.done * 0.0008,
                now() - i * interval '43 minutes', now() - i * interval '43 minutes', CASE WHEN s.status IN (3, 4, 5) THEN now() - i * interval '40 minutes' END, now()
            FROM generate_series(1, {{jobs}}) i
            CROSS JOIN LATERAL (SELECT CASE WHEN i % 50 = 0 THEN 1 WHEN i % 97 = 0 THEN 2 WHEN i % 31 = 0 THEN 4 WHEN i % 37 = 0 THEN 5 ELSE 3 END AS status) st
            CROSS JOIN LATERAL (SELECT st.status, CASE WHEN st.status IN (1, 2) THEN 500 ELSE 1000 END AS done) s
            """, cancellationToken);
        await Timings.ExecuteAsync(dataSource, $$"""
            INSERT INTO batch.jobs (id, project, name, status, account_id, model, system_prompt, user_template, max_tokens, default_params, cache_ttl,
                priority, row_format, columns, row_count, succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, created_at, started_at, updated_at)
            SELECT '{{big}}', 'project-1', 'A million reviews', 1, (SELECT id FROM batch.provider_accounts ORDER BY name LIMIT 1), 'claude-sonnet-4-5',
                'You label reviews as positive, negative or mixed.', 'Label the review.', 64, '{}', 0, 0, 0, ARRAY['text'],
                {{rows}}, {{recorded}} - {{recorded / 60}}, {{recorded / 60}}, 0, {{recorded}}::bigint * 40, 1500, 0, {{recorded}}::bigint * 1500,
                {{recorded}}::bigint * 30, {{recorded}} * 0.0008, now() - interval '4 hours', now() - interval '4 hours', now()
            """, cancellationToken);
        // The big job's rows: recorded ones (every 60th failed) over four hours, then a few hundred leased, then pending.
        for (var from = 1; from <= rows; from += 250_000)
        {
            await Timings.ExecuteAsync(dataSource, $$"""
                INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, output_text, stop_reason, input_tokens, cache_write5m_tokens,
                    cache_write1h_tokens, cache_read_tokens, output_tokens, model, cost_usd, error_type, error_message, lease_expires_at, completed_at)
                SELECT '{{big}}', s, 'row-' || s, '{"text": "The lantern was fine, the harbour less so."}'::jsonb,
                    CASE WHEN s > {{recorded}} + 256 THEN 0 WHEN s > {{recorded}} THEN 1 WHEN s % 60 = 0 THEN 3 ELSE 2 END,
                    (s <= {{recorded}})::int,
                    CASE WHEN s <= {{recorded}} AND s % 60 <> 0 THEN 'Positive. The reviewer liked the lantern and found the harbour acceptable, if busy.' END,
                    CASE WHEN s <= {{recorded}} AND s % 60 <> 0 THEN 'end_turn' END,
                    CASE WHEN s <= {{recorded}} THEN 40 ELSE 0 END, 0, 0, CASE WHEN s <= {{recorded}} THEN 1500 ELSE 0 END,
                    CASE WHEN s <= {{recorded}} THEN 30 ELSE 0 END, 'claude-sonnet-4-5', CASE WHEN s <= {{recorded}} THEN 0.0008 END,
                    CASE WHEN s <= {{recorded}} AND s % 60 = 0 THEN 'invalid_request_error' END,
                    CASE WHEN s <= {{recorded}} AND s % 60 = 0 THEN 'messages.0.content: text too long' END,
                    CASE WHEN s > {{recorded}} AND s <= {{recorded}} + 256 THEN now() + interval '2 minutes' END,
                    CASE WHEN s <= {{recorded}} THEN now() - interval '4 hours' + s * (interval '4 hours' / {{recorded}}) END
                FROM generate_series({{from}}, {{Math.Min(rows, from + 249_999)}}) s
                """, cancellationToken);
            Console.WriteLine($"big job: rows to {Math.Min(rows, from + 249_999):N0} written ({clock.Elapsed.TotalSeconds:0} s)");
        }
        // Every other job: 50 recorded rows, a sample for each of its ten minutes, one rollup hour, its error count.
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, output_text, stop_reason, input_tokens, cache_write5m_tokens,
                cache_write1h_tokens, cache_read_tokens, output_tokens, model, cost_usd, completed_at)
            SELECT j.id, s, 'row-' || s, '{"text": "fine"}'::jsonb, 2, 1, 'Positive.', 'end_turn', 40, 0, 0, 1500, 30, j.model, 0.0008,
                j.started_at + s * interval '1 second'
            FROM batch.jobs j CROSS JOIN generate_series(1, 50) s
            WHERE j.row_count = 1000
            """, cancellationToken);
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.job_minutes (job_id, minute, succeeded_rows, failed_rows, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                cache_read_tokens, output_tokens, cost_usd)
            SELECT j.id, date_trunc('minute', j.started_at) + m * interval '1 minute', (j.succeeded_rows + j.failed_rows) / 10 - j.failed_rows / 10,
                j.failed_rows / 10, j.input_tokens / 10, 0, 0, j.cache_read_tokens / 10, j.output_tokens / 10, j.cost_usd / 10
            FROM batch.jobs j CROSS JOIN generate_series(0, 9) m
            WHERE j.row_count = 1000
            UNION ALL
            SELECT j.id, date_trunc('minute', now()) - m * interval '1 minute', 2460, 40, 100000, 0, 0, 3750000, 75000, 2
            FROM batch.jobs j CROSS JOIN generate_series(0, 239) m
            WHERE j.row_count > 1000
            """, cancellationToken);
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.job_error_counts (job_id, error_type, rows, sample_message)
            SELECT id, 'invalid_request_error', failed_rows, 'messages.0.content: text too long' FROM batch.jobs WHERE failed_rows > 0
            UNION ALL
            SELECT id, 'overloaded_error', 3, 'Overloaded' FROM batch.jobs WHERE row_count > 1000
            """, cancellationToken);
        await Timings.ExecuteAsync(dataSource, """
            WITH p AS (SELECT DISTINCT ON (model_prefix) * FROM batch.model_prices ORDER BY model_prefix, effective_from DESC)
            INSERT INTO batch.cost_rollups (hour, project, account_id, model, job_id, price_id, rows, requests, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, cache_savings_usd, batch_savings_usd)
            SELECT date_trunc('hour', j.started_at, 'UTC') + h * interval '1 hour', j.project, j.account_id, j.model, j.id, p.id,
                (j.succeeded_rows + j.failed_rows) / n, (j.succeeded_rows + j.failed_rows) / n, j.input_tokens / n, j.cache_write_5m_tokens / n, 0,
                j.cache_read_tokens / n, j.output_tokens / n, j.cost_usd / n, j.cache_read_tokens / n * 0.0000027, 0
            FROM batch.jobs j JOIN p ON p.model_prefix = j.model
            CROSS JOIN LATERAL (SELECT CASE WHEN j.row_count > 1000 THEN 5 ELSE 1 END AS n) k
            CROSS JOIN generate_series(0, k.n - 1) h
            """, cancellationToken);
        // Running jobs' chunks report what they hold.
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.job_chunk_activity (job_id, chunk_id, claimed, in_flight, expires_at)
            SELECT id, gen_random_uuid(), 40, 200, now() + interval '1 hour' FROM batch.jobs WHERE status = 1
            """, cancellationToken);
        // Four model classes per account, each with eleven minutes of 250 ms usage slots (what the budgets keep) and some 429s.
        await Timings.ExecuteAsync(dataSource, """
            INSERT INTO batch.rate_budgets (account_id, model_class, rpm, input_tpm, output_tpm, requests_available, input_tokens_available,
                output_tokens_available, refilled_at, paused_until, in_flight_requests, in_flight_input_tokens, in_flight_output_tokens, updated_at)
            SELECT a.id, c, 4000, 2000000, 400000, 10, 1000, 1000, now(), NULL, 200, 8000, 12800, now()
            FROM batch.provider_accounts a CROSS JOIN unnest(ARRAY['sonnet-4', 'haiku-4', 'opus-4', 'count_tokens']) c;
            INSERT INTO batch.rate_budget_usage (account_id, model_class, slot_start, requests, input_tokens, output_tokens, rate_limited)
            SELECT b.account_id, b.model_class, date_bin('250 milliseconds', now(), timestamptz '2000-01-01Z') - s * interval '250 milliseconds',
                16, 8000, 1600, (s % 400 = 0)::int
            FROM batch.rate_budgets b CROSS JOIN generate_series(0, 11 * 240) s;
            """, cancellationToken);
        await Timings.ExecuteAsync(dataSource, "ANALYZE", cancellationToken);
        await using var count = dataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM batch.jobs), (SELECT count(*) FROM batch.job_rows), pg_size_pretty(pg_total_relation_size('batch.job_rows')),
                   (SELECT count(*) FROM batch.job_minutes), (SELECT count(*) FROM batch.cost_rollups), (SELECT count(*) FROM batch.rate_budget_usage),
                   (SELECT id FROM batch.jobs WHERE row_count = 1000 AND status = 3 ORDER BY id LIMIT 1)
            """);
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        Console.WriteLine($"generated {reader.GetInt64(0):N0} jobs, {reader.GetInt64(1):N0} rows ({reader.GetString(2)}), {reader.GetInt64(3):N0} job minutes, "
            + $"{reader.GetInt64(4):N0} rollup rows, {reader.GetInt64(5):N0} usage slots, in {clock.Elapsed.TotalSeconds:0} s");
        return (big, reader.GetGuid(6));
    }
}

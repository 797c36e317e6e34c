using System.Diagnostics;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// Exports the results of a finished job of N rows (default 1M, written directly with SQL as workers would
/// record them) as JSONL over HTTP, against <c>COPY (SELECT the same columns) TO STDOUT</c> in the same run.
/// Goal: Batch at least 0.5x the speed of COPY, with the API's memory flat. Usage: <c>./batch bench export [--rows N]</c>.
/// </summary>
public sealed class ResultsExportBenchmark : IBenchmark
{
    private const string Columns =
        "custom_id, status, output_content, output_text, stop_reason, stop_sequence, input_tokens, cache_write5m_tokens, cache_write1h_tokens, " +
        "cache_read_tokens, output_tokens, message_id, response_model, error_type, error_message, cost_usd";

    public string Name => "export";

    public string Description => "JSONL results export over HTTP vs COPY ... TO STDOUT (speed ratio, API peak RSS); --rows N";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = BenchmarkArgs.Rows(args, 1_000_000);
        var connectionString = BenchmarkArgs.ConnectionString();
        await using var api = await BatchApiProcess.StartAsync(connectionString, cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var jobId = Guid.CreateVersion7();
        try
        {
            var setup = Stopwatch.GetTimestamp();
            await CreateFinishedJobAsync(dataSource, jobId, rows, cancellationToken);
            Console.WriteLine($"wrote a finished job of {rows:N0} rows in {Stopwatch.GetElapsedTime(setup).TotalSeconds:F1} s");

            var copyStarted = Stopwatch.GetTimestamp();
            long copyChars = 0;
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            using (var export = await connection.BeginTextExportAsync($"COPY (SELECT {Columns} FROM batch.job_rows WHERE job_id = '{jobId}' ORDER BY seq) TO STDOUT", cancellationToken))
            {
                var buffer = new char[1 << 16];
                int read;
                while ((read = await export.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    copyChars += read;
                }
            }
            var copySeconds = Stopwatch.GetElapsedTime(copyStarted).TotalSeconds;
            Console.WriteLine($"COPY ... TO STDOUT: {copySeconds:F2} s, {copyChars / 1e6:F1} MB, {rows / copySeconds:N0} rows/s");

            var rssBefore = api.RssMegabytes();
            var started = Stopwatch.GetTimestamp();
            long bytes = 0;
            using (var response = await api.Client.GetAsync(new Uri($"/api/jobs/{jobId}/results?format=jsonl", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    bytes += read;
                }
            }
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine($"Batch JSONL results over HTTP: {seconds:F2} s, {bytes / 1e6:F1} MB, {rows / seconds:N0} rows/s");
            Console.WriteLine($"ratio (COPY time / Batch time): {copySeconds / seconds:F2}x (goal >= 0.5x)");
            Console.WriteLine($"API RSS before {rssBefore:F0} MB, peak (VmHWM) {api.PeakRssMegabytes():F0} MB");
        }
        finally
        {
            await using var delete = dataSource.CreateCommand($"DELETE FROM batch.jobs WHERE id = '{jobId}'");
            delete.CommandTimeout = 600;
            await delete.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task CreateFinishedJobAsync(NpgsqlDataSource dataSource, Guid jobId, int rows, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($$"""
            INSERT INTO batch.jobs (id, project, name, status, account_id, model, user_template, max_tokens, default_params, cache_ttl, priority, row_format,
                columns, row_count, succeeded_rows, failed_rows, canceled_rows, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                cache_read_tokens, output_tokens, cost_usd, created_at, updated_at, finished_at)
            SELECT '{{jobId}}', 'admin', 'export benchmark', 3, id, 'claude-haiku-4-5', 'Review: ' || chr(123) || chr(123) || 'review' || chr(125) || chr(125), 16, '{}', 0, 0, 0,
                ARRAY['id', 'review', 'stars'], {{rows}}, {{rows}}, 0, 0, 0, 0, 0, 0, 0, 0, now(), now(), now()
            FROM batch.provider_accounts WHERE is_default;
            INSERT INTO batch.job_rows (job_id, seq, custom_id, input, status, attempts, output_content, output_text, stop_reason, input_tokens,
                cache_write5m_tokens, cache_write1h_tokens, cache_read_tokens, output_tokens, message_id, request_id, response_model, latency_ms,
                http_status, cost_usd, completed_at)
            SELECT '{{jobId}}', g, 'row-' || lpad(g::text, 7, '0'),
                jsonb_build_object('id', 'r' || g, 'review', repeat('works perfectly with my phone ', 1 + g % 8), 'stars', (1 + g % 5)::text),
                2, 1, '[{"type": "text", "text": "positive: battery"}]', 'positive: battery', 'end_turn', 40 + g % 50,
                0, 0, 1210, 4, 'msg_' || md5(g::text), 'req_' || md5(g::text), 'claude-haiku-4-5-20251001', 400 + g % 300,
                200, 0.0000651, now()
            FROM generate_series(1, {{rows}}) g;
            """);
        command.CommandTimeout = 1200;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

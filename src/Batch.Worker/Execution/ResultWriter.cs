using System.Threading.Channels;
using Batch.Data.Entities;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Writes row results in batches: every <see cref="WorkerOptions.ResultFlushInterval"/> or
/// <see cref="WorkerOptions.ResultFlushMaxRows"/> rows, one statement updates all of them and adds exactly
/// the rows it updated to their jobs' counters, the cost rollup, the accounts' monthly spend and the jobs' per-minute
/// samples and error counts, so a row sent twice is recorded (and counted) once.
/// </summary>
internal sealed partial class ResultWriter(NpgsqlDataSource dataSource, IOptionsMonitor<WorkerOptions> options, ILogger<ResultWriter> logger)
    : BackgroundService
{
    // A row is written only while the writer's claim still holds it (a claim that lost the row can no longer settle
    // its spend-cap reservation, so its answer must not count). In the same statement, the job counters grow by what
    // the UPDATE returned and the cost rollup, the account's monthly spend, the job's minute sample and its error counts
    // (the dashboard's charts and error list) by the same rows: none can drift from the rows. Jobs are locked, and the
    // other rows upserted, in key order, so concurrent writers never deadlock.
    // "status + 0 = 1", not "status = 1": the latter lets the planner use the small partial index of leased rows, keyed by
    // job alone, and join on it by job_id with seq as a filter, reading every leased row of the job once per row written
    // (17 to 80 ms a flush, seen with auto_explain). Without it each row is found by its primary key.
    internal const string FlushSql = """
        WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::smallint[], $5::smallint[], $6::text[], $7::text[],
                $8::text[], $9::text[], $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::text[], $16::text[],
                $17::text[], $18::int[], $19::smallint[], $20::text[], $21::text[], $22::numeric[], $23::text[], $24::uuid[],
                $25::numeric[], $26::numeric[], $27::smallint[], $28::text[])
            AS u(job_id, seq, lease_token, status, attempts, content, text, stop_reason, stop_sequence, input_tokens, w5m, w1h,
                 cache_read, output_tokens, message_id, request_id, response_model, latency_ms, http_status, error_type, error_message,
                 cost_usd, model, price_id, cache_savings, batch_savings, delivery, parsed)
            ORDER BY job_id, seq),
        updated AS (
            UPDATE batch.job_rows r SET
                status = u.status, attempts = greatest(r.attempts - 1, 0) + u.attempts, lease_expires_at = NULL,
                output_content = u.content::jsonb, output_text = u.text, stop_reason = u.stop_reason, stop_sequence = u.stop_sequence,
                input_tokens = u.input_tokens, cache_write5m_tokens = u.w5m, cache_write1h_tokens = u.w1h,
                cache_read_tokens = u.cache_read, output_tokens = u.output_tokens, message_id = u.message_id, request_id = u.request_id,
                response_model = u.response_model, latency_ms = u.latency_ms, http_status = u.http_status, error_type = u.error_type,
                error_message = u.error_message, cost_usd = u.cost_usd, model = u.model, delivery = u.delivery, output_parsed = u.parsed::json,
                completed_at = now()
            FROM input u
            WHERE r.job_id = u.job_id AND r.seq = u.seq AND r.status + 0 = 1 AND r.lease_token = u.lease_token
            RETURNING r.job_id, r.seq, r.status, r.input_tokens, r.cache_write5m_tokens, r.cache_write1h_tokens, r.cache_read_tokens,
                      r.output_tokens, r.cost_usd, r.model, u.attempts, u.price_id, u.cache_savings, u.batch_savings, u.delivery, r.error_type,
                      r.error_message),
        totals AS (
            SELECT job_id, count(*) FILTER (WHERE status = 2) AS succeeded, count(*) FILTER (WHERE status = 3) AS failed,
                   sum(input_tokens) AS input_tokens, sum(cache_write5m_tokens) AS w5m, sum(cache_write1h_tokens) AS w1h,
                   sum(cache_read_tokens) AS cache_read, sum(output_tokens) AS output_tokens, coalesce(sum(cost_usd), 0) AS cost_usd
            FROM updated GROUP BY job_id),
        locked AS (
            SELECT j.id FROM batch.jobs j WHERE j.id IN (SELECT job_id FROM totals) ORDER BY j.id FOR NO KEY UPDATE),
        counted AS (
            UPDATE batch.jobs j SET
                succeeded_rows = j.succeeded_rows + t.succeeded, failed_rows = j.failed_rows + t.failed,
                input_tokens = j.input_tokens + t.input_tokens, cache_write_5m_tokens = j.cache_write_5m_tokens + t.w5m,
                cache_write_1h_tokens = j.cache_write_1h_tokens + t.w1h, cache_read_tokens = j.cache_read_tokens + t.cache_read,
                output_tokens = j.output_tokens + t.output_tokens, cost_usd = j.cost_usd + t.cost_usd, updated_at = now()
            FROM totals t JOIN locked l ON l.id = t.job_id
            WHERE j.id = t.job_id
            RETURNING j.id, j.project, j.account_id, j.model, t.cost_usd),
        sampled AS (
            INSERT INTO batch.job_minutes AS m (job_id, minute, succeeded_rows, failed_rows, input_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd)
            SELECT t.job_id, date_trunc('minute', now(), 'UTC'), t.succeeded, t.failed, t.input_tokens, t.w5m, t.w1h, t.cache_read,
                   t.output_tokens, t.cost_usd
            FROM totals t JOIN counted k ON k.id = t.job_id
            ORDER BY t.job_id
            ON CONFLICT (job_id, minute) DO UPDATE SET
                succeeded_rows = m.succeeded_rows + excluded.succeeded_rows, failed_rows = m.failed_rows + excluded.failed_rows,
                input_tokens = m.input_tokens + excluded.input_tokens,
                cache_write_5m_tokens = m.cache_write_5m_tokens + excluded.cache_write_5m_tokens,
                cache_write_1h_tokens = m.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
                cache_read_tokens = m.cache_read_tokens + excluded.cache_read_tokens, output_tokens = m.output_tokens + excluded.output_tokens,
                cost_usd = m.cost_usd + excluded.cost_usd),
        errored AS (
            INSERT INTO batch.job_error_counts AS e (job_id, error_type, rows, sample_message)
            SELECT u.job_id, left(coalesce(u.error_type, 'unknown'), 100), count(*), left(min(u.error_message), 1000)
            FROM updated u JOIN counted k ON k.id = u.job_id
            WHERE u.status = 3
            GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (job_id, error_type) DO UPDATE SET rows = e.rows + excluded.rows),
        rolled AS (
            INSERT INTO batch.cost_rollups AS c (hour, project, account_id, model, job_id, price_id, rows, requests, input_tokens,
                cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd, cache_savings_usd, batch_savings_usd, delivery)
            SELECT date_trunc('hour', now(), 'UTC'), k.project, k.account_id, coalesce(u.model, k.model), u.job_id, u.price_id,
                   count(*), sum(u.attempts), sum(u.input_tokens), sum(u.cache_write5m_tokens), sum(u.cache_write1h_tokens),
                   sum(u.cache_read_tokens), sum(u.output_tokens), coalesce(sum(u.cost_usd), 0), sum(u.cache_savings), sum(u.batch_savings), u.delivery
            FROM updated u JOIN counted k ON k.id = u.job_id
            GROUP BY k.project, k.account_id, coalesce(u.model, k.model), u.job_id, u.price_id, u.delivery
            ORDER BY k.project, k.account_id, coalesce(u.model, k.model), u.job_id, u.price_id, u.delivery
            ON CONFLICT (hour, project, account_id, model, job_id, price_id, delivery) DO UPDATE SET
                rows = c.rows + excluded.rows, requests = c.requests + excluded.requests, input_tokens = c.input_tokens + excluded.input_tokens,
                cache_write_5m_tokens = c.cache_write_5m_tokens + excluded.cache_write_5m_tokens,
                cache_write_1h_tokens = c.cache_write_1h_tokens + excluded.cache_write_1h_tokens,
                cache_read_tokens = c.cache_read_tokens + excluded.cache_read_tokens, output_tokens = c.output_tokens + excluded.output_tokens,
                cost_usd = c.cost_usd + excluded.cost_usd, cache_savings_usd = c.cache_savings_usd + excluded.cache_savings_usd,
                batch_savings_usd = c.batch_savings_usd + excluded.batch_savings_usd),
        spent AS (
            INSERT INTO batch.account_monthly_spend AS s (account_id, month, cost_usd)
            SELECT k.account_id, (date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC')::date, sum(k.cost_usd)
            FROM counted k GROUP BY k.account_id ORDER BY k.account_id
            ON CONFLICT (account_id, month) DO UPDATE SET cost_usd = s.cost_usd + excluded.cost_usd)
        SELECT job_id, seq FROM updated
        """;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a result; completes once it is written, with whether it landed (false: another claim owns the row now).</summary>
    public Task<bool> WriteAsync(RowResult result)
    {
        var pending = new Pending(result, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The result writer has stopped.");
        }
        return pending.Written.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>();
        var reader = _queue.Reader;
        // Results still queued at shutdown are written before the process exits: their requests were paid for.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            var settings = options.CurrentValue;
            var deadline = Task.Delay(settings.ResultFlushInterval, CancellationToken.None);
            while (batch.Count < settings.ResultFlushMaxRows)
            {
                while (batch.Count < settings.ResultFlushMaxRows && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                if (batch.Count >= settings.ResultFlushMaxRows)
                {
                    break;
                }
                var more = reader.WaitToReadAsync(CancellationToken.None).AsTask();
                if (await Task.WhenAny(deadline, more) == deadline || !await more)
                {
                    break;
                }
            }
            await FlushAsync(batch);
            batch.Clear();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task FlushAsync(List<Pending> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var written = await WriteBatchAsync(batch);
                foreach (var item in batch)
                {
                    item.Written.TrySetResult(written.Contains((item.Result.JobId, item.Result.Seq)));
                }
                return;
            }
            catch (NpgsqlException e) when (attempt < 5 && (e.IsTransient || e is PostgresException { SqlState: "40P01" or "40001" }))
            {
                LogRetry(logger, batch.Count, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), CancellationToken.None);
            }
#pragma warning disable CA1031 // The waiting rows get the failure; the writer itself must keep running for the next batch.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogFailed(logger, e, batch.Count);
                foreach (var item in batch)
                {
                    item.Written.TrySetException(e);
                }
                return;
            }
        }
    }

    private async Task<HashSet<(Guid, int)>> WriteBatchAsync(List<Pending> batch)
    {
        var n = batch.Count;
        var rows = new RowResult[n];
        for (var i = 0; i < n; i++)
        {
            rows[i] = batch[i].Result;
        }
        await using var command = dataSource.CreateCommand(FlushSql);
        AddFlushParameters(command, rows);

        var written = new HashSet<(Guid, int)>(n);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            written.Add((reader.GetGuid(0), reader.GetInt32(1)));
        }
        return written;
    }

    /// <summary>The parameters of <see cref="FlushSql"/>: one array per column, in the order of its <c>unnest</c>.</summary>
    internal static void AddFlushParameters(NpgsqlCommand command, RowResult[] rows)
    {
        Add(command, rows, r => r.JobId);
        Add(command, rows, r => r.Seq);
        Add(command, rows, r => r.LeaseToken);
        Add(command, rows, r => (short)r.Status);
        Add(command, rows, r => r.Attempts);
        Add(command, rows, r => r.OutputContent);
        Add(command, rows, r => r.OutputText);
        Add(command, rows, r => r.StopReason);
        Add(command, rows, r => r.StopSequence);
        Add(command, rows, r => (int)r.Usage.Input);
        Add(command, rows, r => (int)r.Usage.CacheWrite5m);
        Add(command, rows, r => (int)r.Usage.CacheWrite1h);
        Add(command, rows, r => (int)r.Usage.CacheRead);
        Add(command, rows, r => (int)r.Usage.Output);
        Add(command, rows, r => r.MessageId);
        Add(command, rows, r => r.RequestId);
        Add(command, rows, r => r.ResponseModel);
        Add(command, rows, r => r.LatencyMs);
        Add(command, rows, r => r.HttpStatus);
        Add(command, rows, r => r.ErrorType);
        Add(command, rows, r => r.ErrorMessage);
        Add(command, rows, r => r.CostUsd);
        Add(command, rows, r => r.Model);
        Add(command, rows, r => r.PriceId);
        Add(command, rows, r => r.CacheSavingsUsd);
        Add(command, rows, r => r.BatchSavingsUsd);
        Add(command, rows, r => (short)r.Delivery);
        Add(command, rows, r => r.OutputParsed);
    }

    private static void Add<T>(NpgsqlCommand command, RowResult[] rows, Func<RowResult, T> column) =>
        command.Parameters.Add(new NpgsqlParameter<T[]> { TypedValue = Array.ConvertAll(rows, r => column(r)) });

    private sealed record Pending(RowResult Result, TaskCompletionSource<bool> Written);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Rows} results failed transiently (attempt {Attempt}): {Reason}; retrying")]
    private static partial void LogRetry(ILogger logger, int rows, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Rows} results failed; their rows stay leased and will be sent again once the leases expire")]
    private static partial void LogFailed(ILogger logger, Exception exception, int rows);
}

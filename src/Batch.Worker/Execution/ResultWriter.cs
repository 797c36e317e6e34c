using System.Threading.Channels;
using Batch.Data.Entities;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Writes row results in batches: every <see cref="WorkerOptions.ResultFlushInterval"/> or
/// <see cref="WorkerOptions.ResultFlushMaxRows"/> rows, one statement updates all of them and adds exactly
/// the rows it updated to their jobs' counters, so a row sent twice is recorded (and counted) once.
/// </summary>
internal sealed partial class ResultWriter(NpgsqlDataSource dataSource, IOptionsMonitor<WorkerOptions> options, ILogger<ResultWriter> logger)
    : BackgroundService
{
    // A row is written only while the writer's claim still holds it, or it is pending (its lease was lost
    // and nobody has claimed it again); the job counters grow by what the UPDATE returned, in the same statement.
    private const string FlushSql = """
        WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::smallint[], $5::smallint[], $6::text[], $7::text[],
                $8::text[], $9::text[], $10::int[], $11::int[], $12::int[], $13::int[], $14::int[], $15::text[], $16::text[],
                $17::text[], $18::int[], $19::smallint[], $20::text[], $21::text[], $22::numeric[], $23::text[])
            AS u(job_id, seq, lease_token, status, attempts, content, text, stop_reason, stop_sequence, input_tokens, w5m, w1h,
                 cache_read, output_tokens, message_id, request_id, model, latency_ms, http_status, error_type, error_message, cost_usd, parsed)
            ORDER BY job_id, seq),
        updated AS (
            UPDATE batch.job_rows r SET
                status = u.status, attempts = greatest(r.attempts - 1, 0) + u.attempts, lease_expires_at = NULL,
                output_content = u.content::jsonb, output_text = u.text, stop_reason = u.stop_reason, stop_sequence = u.stop_sequence,
                input_tokens = u.input_tokens, cache_write5m_tokens = u.w5m, cache_write1h_tokens = u.w1h,
                cache_read_tokens = u.cache_read, output_tokens = u.output_tokens, message_id = u.message_id, request_id = u.request_id,
                response_model = u.model, latency_ms = u.latency_ms, http_status = u.http_status, error_type = u.error_type,
                error_message = u.error_message, cost_usd = u.cost_usd, output_parsed = u.parsed::json, completed_at = now()
            FROM input u
            WHERE r.job_id = u.job_id AND r.seq = u.seq AND (r.status = 0 OR (r.status = 1 AND r.lease_token = u.lease_token))
            RETURNING r.job_id, r.seq, r.status, r.input_tokens, r.cache_write5m_tokens, r.cache_write1h_tokens, r.cache_read_tokens,
                      r.output_tokens, r.cost_usd),
        totals AS (
            SELECT job_id, count(*) FILTER (WHERE status = 2) AS succeeded, count(*) FILTER (WHERE status = 3) AS failed,
                   sum(input_tokens) AS input_tokens, sum(cache_write5m_tokens) AS w5m, sum(cache_write1h_tokens) AS w1h,
                   sum(cache_read_tokens) AS cache_read, sum(output_tokens) AS output_tokens, coalesce(sum(cost_usd), 0) AS cost_usd
            FROM updated GROUP BY job_id),
        counted AS (
            UPDATE batch.jobs j SET
                succeeded_rows = j.succeeded_rows + t.succeeded, failed_rows = j.failed_rows + t.failed,
                input_tokens = j.input_tokens + t.input_tokens, cache_write_5m_tokens = j.cache_write_5m_tokens + t.w5m,
                cache_write_1h_tokens = j.cache_write_1h_tokens + t.w1h, cache_read_tokens = j.cache_read_tokens + t.cache_read,
                output_tokens = j.output_tokens + t.output_tokens, cost_usd = j.cost_usd + t.cost_usd, updated_at = now()
            FROM totals t WHERE j.id = t.job_id)
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
        Add(command, rows, r => r.OutputParsed);

        var written = new HashSet<(Guid, int)>(n);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            written.Add((reader.GetGuid(0), reader.GetInt32(1)));
        }
        return written;
    }

    private static void Add<T>(NpgsqlCommand command, RowResult[] rows, Func<RowResult, T> column) =>
        command.Parameters.Add(new NpgsqlParameter<T[]> { TypedValue = Array.ConvertAll(rows, r => column(r)) });

    private sealed record Pending(RowResult Result, TaskCompletionSource<bool> Written);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Rows} results failed transiently (attempt {Attempt}): {Reason}; retrying")]
    private static partial void LogRetry(ILogger logger, int rows, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Rows} results failed; their rows stay leased and will be sent again once the leases expire")]
    private static partial void LogFailed(ILogger logger, Exception exception, int rows);
}

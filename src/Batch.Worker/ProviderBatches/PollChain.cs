using Batch.Jobs;
using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// A job's chain of delayed ticks (<c>provider_batch_polls</c>). Each tick first moves the chain on (a new tick id, due after
/// the current delay, which then doubles up to <see cref="ProviderBatchOptions.PollMax"/>) and schedules that tick, before it
/// does any work: a tick killed half way has its successor waiting in Hangfire already. A tick whose id the chain no longer
/// holds does nothing, so restarts and wake-ups never leave two chains running.
/// </summary>
internal sealed class PollChain(NpgsqlDataSource dataSource, IBackgroundJobClient jobs, IOptionsMonitor<ProviderBatchOptions> options)
{
    /// <summary>Starts the chain anew: a tick due now (which the caller runs or enqueues), polls from the initial delay again.</summary>
    public async Task<Guid> ResetAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var tickId = Guid.CreateVersion7();
        await using var command = dataSource.CreateCommand("""
            INSERT INTO batch.provider_batch_polls (job_id, tick_id, due_at, delay) VALUES ($1, $2, now(), $3)
            ON CONFLICT (job_id) DO UPDATE SET tick_id = excluded.tick_id, due_at = excluded.due_at, delay = excluded.delay
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = tickId });
        command.Parameters.Add(new() { Value = options.CurrentValue.PollInitial, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return tickId;
    }

    /// <summary>Resets the chain and enqueues its first tick now.</summary>
    public async Task RestartAsync(Guid jobId, string jobName, CancellationToken cancellationToken)
    {
        var tickId = await ResetAsync(jobId, cancellationToken);
        jobs.Create<IProviderBatchRunner>(runner => runner.TickAsync(jobId, jobName, tickId, CancellationToken.None), new EnqueuedState(BatchQueues.ProviderBatches));
    }

    /// <summary>Moves the chain past <paramref name="tickId"/> and schedules the next tick; null when the chain has moved on (this tick is stale).</summary>
    public async Task<Guid?> AdvanceAsync(Guid jobId, string jobName, Guid tickId, CancellationToken cancellationToken)
    {
        var next = Guid.CreateVersion7();
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.provider_batch_polls SET tick_id = $3, due_at = now() + delay, delay = least(delay * 2, $4)
            WHERE job_id = $1 AND tick_id = $2
            RETURNING due_at - now()
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = tickId });
        command.Parameters.Add(new() { Value = next });
        command.Parameters.Add(new() { Value = options.CurrentValue.PollMax, NpgsqlDbType = NpgsqlDbType.Interval });
        if (await command.ExecuteScalarAsync(cancellationToken) is not TimeSpan wait)
        {
            return null;
        }
        jobs.Schedule<IProviderBatchRunner>(BatchQueues.ProviderBatches, runner => runner.TickAsync(jobId, jobName, next, CancellationToken.None), wait);
        return next;
    }

    /// <summary>Something moved (a slice submitted, one ended): the next tick comes after the initial delay again, whatever the backoff had reached.</summary>
    public async Task HurryAsync(Guid jobId, string jobName, Guid currentTickId, CancellationToken cancellationToken)
    {
        var next = Guid.CreateVersion7();
        var initial = options.CurrentValue.PollInitial;
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.provider_batch_polls SET tick_id = $3, due_at = now() + $4, delay = $4
            WHERE job_id = $1 AND tick_id = $2
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = currentTickId });
        command.Parameters.Add(new() { Value = next });
        command.Parameters.Add(new() { Value = initial, NpgsqlDbType = NpgsqlDbType.Interval });
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            jobs.Schedule<IProviderBatchRunner>(BatchQueues.ProviderBatches, runner => runner.TickAsync(jobId, jobName, next, CancellationToken.None), initial);
        }
    }

    /// <summary>Ends the chain, unless somebody restarted it since <paramref name="currentTickId"/> was scheduled.</summary>
    public async Task EndAsync(Guid jobId, Guid currentTickId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM batch.provider_batch_polls WHERE job_id = $1 AND tick_id = $2");
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = currentTickId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Jobs whose provider batches nobody drives: running provider-batch jobs, or jobs with slices still open, whose chain is
    /// missing or whose next tick is overdue by <paramref name="overdue"/> (a worker died between moving the chain and scheduling).
    /// </summary>
    public async Task<List<(Guid JobId, string JobName)>> FindUndrivenAsync(TimeSpan overdue, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT j.id, j.name FROM batch.jobs j
            LEFT JOIN batch.provider_batch_polls p ON p.job_id = j.id
            WHERE ((j.status = 1 AND j.delivery = 1) OR EXISTS (SELECT 1 FROM batch.provider_batches b WHERE b.job_id = j.id AND b.status IN (0, 1, 2)))
              AND (p.due_at < now() - $1 OR (p.job_id IS NULL AND j.updated_at < now() - $1))
            """);
        command.Parameters.Add(new() { Value = overdue, NpgsqlDbType = NpgsqlDbType.Interval });
        var found = new List<(Guid, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add((reader.GetGuid(0), reader.GetString(1)));
        }
        return found;
    }
}

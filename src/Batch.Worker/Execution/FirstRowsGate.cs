using Batch.Budgets;
using Npgsql;

namespace Batch.Worker.Execution;

/// <summary>
/// Holds a job's rows back until its first rows are answered: until <see cref="FirstRowsCheck"/> has looked at the first
/// <see cref="WorkerOptions.FailFastRows"/> recorded rows, or one row has succeeded, a process keeps at most that many of
/// the job's requests out (counting the rows already recorded), and its other rows wait. Without it a job whose every row
/// fails alike (a typo in the model) sent as many rows as the budgets and the concurrency let out before the first
/// answers came back: the whole of a small file. A job pays for it once, with one round of answers at its start.
/// </summary>
internal sealed class FirstRowsGate(NpgsqlDataSource dataSource, FirstRowsCheck check, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly RunningJobsMap<JobGate> _jobs = new(time);

    /// <summary>What a row waiting at the gate does next.</summary>
    public enum Decision
    {
        /// <summary>Send it; dispose the ticket, if any, once its outcome is recorded.</summary>
        Send,

        /// <summary>The job is no longer running (its first rows paused it, or someone else did): give the row back.</summary>
        Stop,
    }

    public async Task<(Decision Decision, IDisposable? Ticket)> EnterAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var limit = check.Rows;
        if (limit <= 0)
        {
            return (Decision.Send, null);
        }
        var gate = _jobs.GetOrAdd(jobId, static _ => new JobGate());
        while (!gate.Open)
        {
            if (gate.TryPass(limit) is { } ticket)
            {
                return (Decision.Send, ticket);
            }
            // One request of this process asks the database; the others wait here for its answer.
            await gate.Look.WaitAsync(cancellationToken);
            try
            {
                if (gate.Open || gate.CanPass(limit))
                {
                    continue;
                }
                if (gate.Looked)
                {
                    await Task.Delay(PollInterval, time, cancellationToken);
                }
                if (!await LookAsync(jobId, gate, limit, cancellationToken))
                {
                    return (Decision.Stop, null);
                }
            }
            finally
            {
                gate.Look.Release();
            }
        }
        return (Decision.Send, null);
    }

    /// <returns>False when the job is not running.</returns>
    private async Task<bool> LookAsync(Guid jobId, JobGate gate, int limit, CancellationToken cancellationToken)
    {
        bool running, past;
        int recorded;
        await using (var command = dataSource.CreateCommand(
            "SELECT status = 1, first_rows_checked OR succeeded_rows > 0, succeeded_rows + failed_rows FROM batch.jobs WHERE id = $1"))
        {
            command.Parameters.Add(new() { Value = jobId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }
            (running, past, recorded) = (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetInt32(2));
        }
        if (!running)
        {
            return false;
        }
        if (past)
        {
            gate.Open = true;
            return true;
        }
        if (recorded >= limit && await check.PauseIfFirstRowsFailedAsync(jobId, cancellationToken))
        {
            return false;
        }
        // The look, if it was made, marked the job: the next look opens the gate, or finds the job paused.
        gate.Recorded(recorded);
        return true;
    }

    private sealed class JobGate
    {
        private readonly Lock _lock = new();
        private int _inFlight;
        private int? _recorded;

        public SemaphoreSlim Look { get; } = new(1, 1);

        private volatile bool _open;

        public bool Open
        {
            get => _open;
            set => _open = value;
        }

        public bool Looked
        {
            get
            {
                lock (_lock)
                {
                    return _recorded is not null;
                }
            }
        }

        public void Recorded(int rows)
        {
            lock (_lock)
            {
                _recorded = rows;
            }
        }

        public bool CanPass(int limit)
        {
            lock (_lock)
            {
                return _recorded is { } recorded && _inFlight + recorded < limit;
            }
        }

        public IDisposable? TryPass(int limit)
        {
            lock (_lock)
            {
                if (_recorded is not { } recorded || _inFlight + recorded >= limit)
                {
                    return null;
                }
                _inFlight++;
                return new Ticket(this);
            }
        }

        // The row's outcome is recorded (or it went back): count it as recorded until the next look reads the true figure,
        // so a finished request is never replaced by another before the database has been asked.
        private void Done()
        {
            lock (_lock)
            {
                _inFlight--;
                _recorded++;
            }
        }

        private sealed class Ticket(JobGate gate) : IDisposable
        {
            private int _disposed;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    gate.Done();
                }
            }
        }
    }
}

using Batch.Data.Entities;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Budgets;

/// <summary>What a request asks of a budget; the output part depends on the account's output mode, read with the row.</summary>
internal readonly record struct TakeRequest(Guid AccountId, string ModelClass, int InputTokens, int MaxOutputTokens, int ExpectedOutputTokens);

/// <summary>The outcome of one attempt to take: the budget taken at <see cref="Now"/>, or how long to wait.</summary>
internal readonly record struct TakeResult(bool Taken, DateTimeOffset Now, int OutputReserved, TimeSpan Wait, string BoundBy);

/// <summary>How a settled (or released) lease corrects the shared row and its usage slot.</summary>
internal readonly record struct Settlement(
    int RequestRefund,
    long InputRefund,
    long OutputRefund,
    long? RequestsRemaining,
    long? InputRemaining,
    long? OutputRemaining,
    TimeSpan? Pause);

/// <summary>
/// The shared state in PostgreSQL. A take locks the budget row, reads it with the last minute's usage, decides in
/// <see cref="BucketMath"/> and writes the new levels and the usage slot in the same short transaction, so any number
/// of processes on any number of machines see one bucket. Times are the database's clock, so machines need not agree.
/// </summary>
internal sealed class RateBudgetStore(NpgsqlDataSource dataSource, BucketMath math, IOptions<BudgetOptions> options)
{
    private const string ReadSql = """
        SELECT b.rpm, b.input_tpm, b.output_tpm, b.requests_available, b.input_tokens_available, b.output_tokens_available,
               b.refilled_at, b.paused_until, now(), a.output_budget_mode
        FROM batch.rate_budgets b JOIN batch.provider_accounts a ON a.id = b.account_id
        WHERE b.account_id = $1 AND b.model_class = $2
        FOR UPDATE OF b
        """;

    // A statement of its own, after the lock: its snapshot then includes every take committed before ours. now() is the
    // transaction's clock, the same the decision uses.
    private const string WindowSql = """
        SELECT coalesce(sum(requests), 0)::float8, coalesce(sum(input_tokens), 0)::float8, coalesce(sum(output_tokens), 0)::float8
        FROM batch.rate_budget_usage
        WHERE account_id = $1 AND model_class = $2 AND slot_start > now() - $3
        """;

    private const string WriteSql = """
        UPDATE batch.rate_budgets
        SET requests_available = $3, input_tokens_available = $4, output_tokens_available = $5, refilled_at = $6,
            in_flight_requests = in_flight_requests + 1, in_flight_input_tokens = in_flight_input_tokens + $7,
            in_flight_output_tokens = in_flight_output_tokens + $8, updated_at = $6
        WHERE account_id = $1 AND model_class = $2
        """;

    private const string LogSql = """
        INSERT INTO batch.rate_budget_usage (account_id, model_class, slot_start, requests, input_tokens, output_tokens)
        VALUES ($1, $2, $3, 1, $4, $5)
        ON CONFLICT (account_id, model_class, slot_start) DO UPDATE
        SET requests = rate_budget_usage.requests + 1,
            input_tokens = rate_budget_usage.input_tokens + excluded.input_tokens,
            output_tokens = rate_budget_usage.output_tokens + excluded.output_tokens
        """;

    private const string PruneSql = "DELETE FROM batch.rate_budget_usage WHERE account_id = $1 AND model_class = $2 AND slot_start < $3";

    // A new budget starts from the account's default limits, its buckets as if refilled for BurstSeconds: a small opening burst.
    private const string CreateSql = """
        INSERT INTO batch.rate_budgets (account_id, model_class, rpm, input_tpm, output_tpm, requests_available, input_tokens_available,
            output_tokens_available, refilled_at, in_flight_requests, in_flight_input_tokens, in_flight_output_tokens, updated_at)
        SELECT id, $2, rpm, input_tpm, output_tpm, 0, 0, 0, now() - $3, 0, 0, 0, now()
        FROM batch.provider_accounts WHERE id = $1
        ON CONFLICT (account_id, model_class) DO NOTHING
        """;

    private const string SettleSql = """
        UPDATE batch.rate_budgets
        SET requests_available = least(requests_available + $3, $6),
            input_tokens_available = least(input_tokens_available + $4, $7),
            output_tokens_available = least(output_tokens_available + $5, $8),
            paused_until = CASE WHEN $9::interval IS NULL THEN paused_until ELSE greatest(paused_until, now() + $9::interval) END,
            in_flight_requests = greatest(0, in_flight_requests - 1),
            in_flight_input_tokens = greatest(0, in_flight_input_tokens - $10),
            in_flight_output_tokens = greatest(0, in_flight_output_tokens - $11),
            updated_at = now()
        WHERE account_id = $1 AND model_class = $2
        """;

    private const string CorrectSlotSql = """
        UPDATE batch.rate_budget_usage
        SET requests = requests - $3, input_tokens = input_tokens - $4, output_tokens = output_tokens - $5
        WHERE account_id = $1 AND model_class = $2 AND slot_start = $6
        """;

    // Usage older than this is no use to the window or the API.
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);

    private long _nextPruneTicks;

    public async Task<TakeResult> TryTakeAsync(TakeRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        for (var created = false; ; created = true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var read = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Command(ReadSql, request.AccountId, request.ModelClass),
                },
            };
            read.BatchCommands.Add(Command(WindowSql, request.AccountId, request.ModelClass, BucketMath.Window + BucketMath.SlotDuration));

            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                await transaction.RollbackAsync(cancellationToken);
                if (created)
                {
                    throw new InvalidOperationException($"Provider account {request.AccountId} does not exist.");
                }
                await CreateAsync(connection, request, cancellationToken);
                continue;
            }
            var limits = new BudgetLimits(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
            var state = new BucketState(new BudgetAmounts(reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)), reader.GetFieldValue<DateTimeOffset>(6));
            DateTimeOffset? pausedUntil = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7);
            var now = reader.GetFieldValue<DateTimeOffset>(8);
            var outputMode = (OutputBudgetMode)reader.GetInt16(9);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var used = new BudgetAmounts(reader.GetDouble(0), reader.GetDouble(1), reader.GetDouble(2));
            await reader.DisposeAsync();

            var output = outputMode == OutputBudgetMode.ActualOutput ? request.ExpectedOutputTokens : request.MaxOutputTokens;
            var decision = math.Decide(state, limits, new BudgetAmounts(1, request.InputTokens, output), used, pausedUntil, now);
            if (!decision.Taken)
            {
                await transaction.RollbackAsync(cancellationToken);
                return new TakeResult(false, now, 0, decision.Wait, decision.BoundBy);
            }

            var levels = decision.State.Levels;
            await using var write = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Command(WriteSql, request.AccountId, request.ModelClass, levels.Requests, levels.InputTokens, levels.OutputTokens,
                        decision.State.RefilledAt, (long)request.InputTokens, (long)output),
                    Command(LogSql, request.AccountId, request.ModelClass, BucketMath.SlotOf(now), (long)request.InputTokens, (long)output),
                },
            };
            if (PruneDue(now))
            {
                write.BatchCommands.Add(Command(PruneSql, request.AccountId, request.ModelClass, now - Retention));
            }
            await write.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new TakeResult(true, now, output, TimeSpan.Zero, "");
        }
    }

    public async Task SettleAsync(BudgetLease lease, Settlement settlement, CancellationToken cancellationToken)
    {
        static object Remaining(long? remaining) => remaining is { } value ? (double)value : double.PositiveInfinity;

        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command(SettleSql, lease.AccountId, lease.ModelClass,
            (double)settlement.RequestRefund, (double)settlement.InputRefund, (double)settlement.OutputRefund,
            Remaining(settlement.RequestsRemaining), Remaining(settlement.InputRemaining), Remaining(settlement.OutputRemaining),
            settlement.Pause is { } pause ? pause : DBNull.Value, (long)lease.InputTokens, (long)lease.OutputTokens));
        batch.BatchCommands[0].Parameters[8].NpgsqlDbType = NpgsqlDbType.Interval;
        batch.BatchCommands.Add(Command(CorrectSlotSql, lease.AccountId, lease.ModelClass,
            settlement.RequestRefund, settlement.InputRefund, settlement.OutputRefund, BucketMath.SlotOf(lease.TakenAt)));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task CreateAsync(NpgsqlConnection connection, TakeRequest request, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand(CreateSql, connection)
        {
            Parameters =
            {
                new() { Value = request.AccountId },
                new() { Value = request.ModelClass },
                new() { Value = TimeSpan.FromSeconds(options.Value.BurstSeconds) },
            },
        };
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    private bool PruneDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextPruneTicks);
        return now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextPruneTicks, (now + TimeSpan.FromSeconds(30)).UtcTicks, due) == due;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }
}

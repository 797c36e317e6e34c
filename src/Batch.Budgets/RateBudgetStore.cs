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
    TimeSpan? Pause,
    int RateLimited = 0);

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
            in_flight_requests = in_flight_requests + $9, in_flight_input_tokens = in_flight_input_tokens + $7,
            in_flight_output_tokens = in_flight_output_tokens + $8, updated_at = $6
        WHERE account_id = $1 AND model_class = $2
        """;

    private const string LogSql = """
        INSERT INTO batch.rate_budget_usage (account_id, model_class, slot_start, requests, input_tokens, output_tokens)
        VALUES ($1, $2, $3, $6, $4, $5)
        ON CONFLICT (account_id, model_class, slot_start) DO UPDATE
        SET requests = rate_budget_usage.requests + excluded.requests,
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
            in_flight_requests = greatest(0, in_flight_requests - $12),
            in_flight_input_tokens = greatest(0, in_flight_input_tokens - $10),
            in_flight_output_tokens = greatest(0, in_flight_output_tokens - $11),
            updated_at = now()
        WHERE account_id = $1 AND model_class = $2
        """;

    private const string CorrectSlotSql = """
        UPDATE batch.rate_budget_usage
        SET requests = requests - $3, input_tokens = input_tokens - $4, output_tokens = output_tokens - $5, rate_limited = rate_limited + $7
        WHERE account_id = $1 AND model_class = $2 AND slot_start = $6
        """;

    // Usage older than this is no use to the window, the API or the dashboard's ten-minute charts.
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(11);

    private long _nextPruneTicks;

    /// <summary>
    /// Takes for as many of <paramref name="requests"/> as the budget allows, in their order, in one transaction: one
    /// read of the row and the window, one decision after another, one write. The answer holds a result for every
    /// request taken and, when one was refused, its result (with the wait) last; the rest were not considered.
    /// </summary>
    public async Task<List<TakeResult>> TryTakeManyAsync(IReadOnlyList<TakeRequest> requests, CancellationToken cancellationToken)
    {
        var first = requests[0];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        for (var created = false; ; created = true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var read = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Command(ReadSql, first.AccountId, first.ModelClass),
                },
            };
            read.BatchCommands.Add(Command(WindowSql, first.AccountId, first.ModelClass, BucketMath.Window + BucketMath.SlotDuration));

            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                await transaction.RollbackAsync(cancellationToken);
                if (created)
                {
                    throw new InvalidOperationException($"Provider account {first.AccountId} does not exist.");
                }
                await CreateAsync(connection, first, cancellationToken);
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

            // Each decision sees the levels and window the ones before it left, exactly as separate takes would.
            var results = new List<TakeResult>(requests.Count);
            var taken = default(BudgetAmounts);
            foreach (var request in requests)
            {
                var output = outputMode == OutputBudgetMode.ActualOutput ? request.ExpectedOutputTokens : request.MaxOutputTokens;
                var cost = new BudgetAmounts(1, request.InputTokens, output);
                var decision = math.Decide(state, limits, cost, used, pausedUntil, now);
                if (!decision.Taken)
                {
                    results.Add(new TakeResult(false, now, 0, decision.Wait, decision.BoundBy));
                    break;
                }
                state = decision.State;
                used = used + cost;
                taken = taken + cost;
                results.Add(new TakeResult(true, now, output, TimeSpan.Zero, ""));
            }
            if (taken.Requests == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return results;
            }

            var levels = state.Levels;
            await using var write = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Command(WriteSql, first.AccountId, first.ModelClass, levels.Requests, levels.InputTokens, levels.OutputTokens,
                        state.RefilledAt, (long)taken.InputTokens, (long)taken.OutputTokens, (int)taken.Requests),
                    Command(LogSql, first.AccountId, first.ModelClass, BucketMath.SlotOf(now), (long)taken.InputTokens, (long)taken.OutputTokens,
                        (int)taken.Requests),
                },
            };
            if (PruneDue(now))
            {
                write.BatchCommands.Add(Command(PruneSql, first.AccountId, first.ModelClass, now - Retention));
            }
            await write.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return results;
        }
    }

    /// <summary>
    /// Settles many leases in one round trip (an implicit transaction): per budget, the refunds added up, the lowest
    /// remaining the server reported, the longest pause; per usage slot, its correction. Budgets are locked in a fixed
    /// order, so concurrent batches from several processes cannot deadlock.
    /// </summary>
    public async Task SettleManyAsync(IReadOnlyList<(BudgetLease Lease, Settlement Settlement)> settlements, CancellationToken cancellationToken)
    {
        static object Remaining(long? remaining) => remaining is { } value ? (double)value : double.PositiveInfinity;
        static long? Lowest(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
        static TimeSpan? Longest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

        await using var batch = dataSource.CreateBatch();
        foreach (var budget in settlements
            .GroupBy(s => (s.Lease.AccountId, s.Lease.ModelClass))
            .OrderBy(g => g.Key.AccountId).ThenBy(g => g.Key.ModelClass, StringComparer.Ordinal))
        {
            var total = budget.Aggregate(
                (Settlement: new Settlement(0, 0, 0, null, null, null, null), InFlightInput: 0L, InFlightOutput: 0L, Count: 0),
                (sum, next) => (
                    new Settlement(
                        sum.Settlement.RequestRefund + next.Settlement.RequestRefund,
                        sum.Settlement.InputRefund + next.Settlement.InputRefund,
                        sum.Settlement.OutputRefund + next.Settlement.OutputRefund,
                        Lowest(sum.Settlement.RequestsRemaining, next.Settlement.RequestsRemaining),
                        Lowest(sum.Settlement.InputRemaining, next.Settlement.InputRemaining),
                        Lowest(sum.Settlement.OutputRemaining, next.Settlement.OutputRemaining),
                        Longest(sum.Settlement.Pause, next.Settlement.Pause)),
                    sum.InFlightInput + next.Lease.InputTokens,
                    sum.InFlightOutput + next.Lease.OutputTokens,
                    sum.Count + 1));
            var settle = Command(SettleSql, budget.Key.AccountId, budget.Key.ModelClass,
                (double)total.Settlement.RequestRefund, (double)total.Settlement.InputRefund, (double)total.Settlement.OutputRefund,
                Remaining(total.Settlement.RequestsRemaining), Remaining(total.Settlement.InputRemaining), Remaining(total.Settlement.OutputRemaining),
                total.Settlement.Pause is { } pause ? pause : DBNull.Value, total.InFlightInput, total.InFlightOutput, total.Count);
            settle.Parameters[8].NpgsqlDbType = NpgsqlDbType.Interval;
            batch.BatchCommands.Add(settle);

            foreach (var slot in budget.GroupBy(s => BucketMath.SlotOf(s.Lease.TakenAt)).OrderBy(g => g.Key))
            {
                var requests = slot.Sum(s => s.Settlement.RequestRefund);
                var input = slot.Sum(s => s.Settlement.InputRefund);
                var output = slot.Sum(s => s.Settlement.OutputRefund);
                var rateLimited = slot.Sum(s => s.Settlement.RateLimited);
                if (requests != 0 || input != 0 || output != 0 || rateLimited != 0)
                {
                    batch.BatchCommands.Add(Command(CorrectSlotSql, budget.Key.AccountId, budget.Key.ModelClass, requests, input, output, slot.Key, rateLimited));
                }
            }
        }
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

using Npgsql;

namespace Batch.Budgets;

/// <summary>One dimension of a budget as the API shows it: the per-minute limit, what the last minute used, what is in flight.</summary>
public sealed record DimensionReport(int Limit, long UsedLastMinute, long InFlight);

/// <summary>One model class of an account: its three dimensions and any pause a 429 set.</summary>
public sealed record BudgetReport(
    string ModelClass, DimensionReport Requests, DimensionReport InputTokens, DimensionReport OutputTokens, DateTimeOffset? PausedUntil);

/// <summary>Reads and changes the shared budgets for the API. Workers read the limits on every take, so a change applies at once.</summary>
public static class BudgetReports
{
    // "Used" counts what was admitted in the last minute: settled requests at their actual usage, in-flight ones at what they took.
    private const string ReadSql = """
        SELECT b.model_class, b.rpm, b.input_tpm, b.output_tpm, b.in_flight_requests, b.in_flight_input_tokens, b.in_flight_output_tokens,
               b.paused_until, coalesce(u.requests, 0), coalesce(u.input_tokens, 0), coalesce(u.output_tokens, 0)
        FROM batch.provider_accounts a
        JOIN batch.rate_budgets b ON b.account_id = a.id
        LEFT JOIN LATERAL (
            SELECT sum(requests)::bigint AS requests, sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens
            FROM batch.rate_budget_usage
            WHERE account_id = b.account_id AND model_class = b.model_class AND slot_start > now() - interval '60 seconds') u ON true
        WHERE a.name = $1 AND ($2::text IS NULL OR b.model_class = $2)
        ORDER BY b.model_class
        """;

    // A limit left out (null) keeps the budget's own, or for a new budget the account's default.
    private const string UpsertSql = """
        INSERT INTO batch.rate_budgets (account_id, model_class, rpm, input_tpm, output_tpm, requests_available, input_tokens_available,
            output_tokens_available, refilled_at, in_flight_requests, in_flight_input_tokens, in_flight_output_tokens, updated_at)
        SELECT id, $2, coalesce($3, rpm), coalesce($4, input_tpm), coalesce($5, output_tpm), 0, 0, 0, now(), 0, 0, 0, now()
        FROM batch.provider_accounts WHERE name = $1
        ON CONFLICT (account_id, model_class) DO UPDATE SET
            rpm = coalesce($3, rate_budgets.rpm), input_tpm = coalesce($4, rate_budgets.input_tpm),
            output_tpm = coalesce($5, rate_budgets.output_tpm), updated_at = now()
        """;

    // The classes model_settings maps models to, count_tokens, and any an account has a budget for (a model no row matches is a class of its own).
    private const string KnownClassesSql = $"""
        SELECT model_class FROM batch.model_settings
        UNION
        SELECT '{ModelClasses.CountTokens}'
        UNION
        SELECT b.model_class FROM batch.rate_budgets b JOIN batch.provider_accounts a ON a.id = b.account_id WHERE a.name = $1
        ORDER BY 1
        """;

    /// <summary>The budgets of an account, one per model class used so far; null when the account does not exist.</summary>
    public static async Task<IReadOnlyList<BudgetReport>?> ReadAsync(NpgsqlDataSource dataSource, string accountName, CancellationToken cancellationToken)
    {
        var reports = await ReadAsync(dataSource, accountName, null, cancellationToken);
        if (reports.Count > 0)
        {
            return reports;
        }
        await using var exists = dataSource.CreateCommand("SELECT 1 FROM batch.provider_accounts WHERE name = $1");
        exists.Parameters.Add(new NpgsqlParameter { Value = accountName });
        return await exists.ExecuteScalarAsync(cancellationToken) is null ? null : reports;
    }

    /// <summary>
    /// Sets the given limits of one model class of an account (creating its budget; a limit left out keeps its value);
    /// null when the account does not exist.
    /// </summary>
    public static async Task<BudgetReport?> SetLimitsAsync(
        NpgsqlDataSource dataSource, string accountName, string modelClass, int? rpm, int? inputTpm, int? outputTpm, CancellationToken cancellationToken)
    {
        await using var upsert = dataSource.CreateCommand(UpsertSql);
        upsert.Parameters.Add(new NpgsqlParameter { Value = accountName });
        upsert.Parameters.Add(new NpgsqlParameter { Value = modelClass });
        foreach (var limit in new[] { rpm, inputTpm, outputTpm })
        {
            upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)limit ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        }
        if (await upsert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return null;
        }
        return (await ReadAsync(dataSource, accountName, modelClass, cancellationToken)).Single();
    }

    /// <summary>The model classes a budget may be set for on this account, in order.</summary>
    public static async Task<List<string>> KnownClassesAsync(NpgsqlDataSource dataSource, string accountName, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(KnownClassesSql);
        command.Parameters.Add(new NpgsqlParameter { Value = accountName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var classes = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            classes.Add(reader.GetString(0));
        }
        return classes;
    }

    private static async Task<List<BudgetReport>> ReadAsync(
        NpgsqlDataSource dataSource, string accountName, string? modelClass, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter { Value = accountName });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)modelClass ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var reports = new List<BudgetReport>();
        while (await reader.ReadAsync(cancellationToken))
        {
            reports.Add(new BudgetReport(
                reader.GetString(0),
                new DimensionReport(reader.GetInt32(1), reader.GetInt64(8), reader.GetInt32(4)),
                new DimensionReport(reader.GetInt32(2), reader.GetInt64(9), reader.GetInt64(5)),
                new DimensionReport(reader.GetInt32(3), reader.GetInt64(10), reader.GetInt64(6)),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return reports;
    }
}

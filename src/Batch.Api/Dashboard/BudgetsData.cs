using Batch.Budgets;
using Hangfire.Dashboard;
using Npgsql;

namespace Batch.Api.Dashboard;

/// <summary>
/// One budget (account and model class) at one moment: what the sliding window held over the minute up to then, as the
/// limiter sees it, and the rate-limit 429s of that step.
/// </summary>
internal sealed record BudgetPoint(DateTimeOffset At, long Requests, long InputTokens, long OutputTokens, int RateLimited);

/// <summary>A budget's limits and use now (the budgets API's report) and its last ten minutes.</summary>
internal sealed record BudgetView(string Account, BudgetReport Report, IReadOnlyList<BudgetPoint> History, DateTimeOffset Now)
{
    public string Key => $"{Account}/{Report.ModelClass}";

    public int RateLimited => History.Sum(p => p.RateLimited);
}

internal sealed record BudgetsModel(IReadOnlyList<BudgetView> Budgets)
{
    public static readonly TimeSpan Span = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(10);

    private const string AccountsSql = "SELECT name FROM batch.provider_accounts ORDER BY is_default DESC, name";

    // The usage slots of the last eleven minutes (ten to draw, and the minute before the first point), in steps of ten
    // seconds; the slots are kept that long for this (RateBudgetStore's retention).
    private const string HistorySql = """
        SELECT a.name, u.model_class, date_bin('10 seconds', u.slot_start, timestamptz '2000-01-01Z'),
               sum(u.requests)::bigint, sum(u.input_tokens)::bigint, sum(u.output_tokens)::bigint, sum(u.rate_limited)::int, now()
        FROM batch.rate_budget_usage u JOIN batch.provider_accounts a ON a.id = u.account_id
        WHERE u.slot_start > now() - interval '11 minutes'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """;

    public static async Task<BudgetsModel?> LoadAsync(DashboardContext context)
    {
        var dataSource = context.Service<NpgsqlDataSource>();
        var cancellationToken = context.Aborted();
        var steps = new Dictionary<(string, string), Dictionary<DateTimeOffset, BudgetPoint>>();
        var now = DateTimeOffset.UtcNow;
        await using (var history = dataSource.CreateCommand(HistorySql))
        await using (var reader = await history.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                var at = reader.GetFieldValue<DateTimeOffset>(2);
                now = reader.GetFieldValue<DateTimeOffset>(7);
                if (!steps.TryGetValue(key, out var points))
                {
                    steps[key] = points = [];
                }
                points[at] = new BudgetPoint(at, reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt32(6));
            }
        }

        var accounts = new List<string>();
        await using (var command = dataSource.CreateCommand(AccountsSql))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                accounts.Add(reader.GetString(0));
            }
        }
        var budgets = new List<BudgetView>();
        foreach (var account in accounts)
        {
            foreach (var report in await BudgetReports.ReadAsync(dataSource, account, cancellationToken) ?? [])
            {
                budgets.Add(new BudgetView(account, report, Windows(steps.GetValueOrDefault((account, report.ModelClass)) ?? [], now), now));
            }
        }
        return new BudgetsModel(budgets);
    }

    /// <summary>For each step of the last ten minutes: the sums of the six steps (one minute) up to it, and its own 429s.</summary>
    private static List<BudgetPoint> Windows(Dictionary<DateTimeOffset, BudgetPoint> steps, DateTimeOffset now)
    {
        var last = new DateTimeOffset(now.UtcTicks - now.UtcTicks % Step.Ticks, TimeSpan.Zero);
        var perMinute = (int)(TimeSpan.FromMinutes(1) / Step);
        var points = new List<BudgetPoint>();
        for (var at = last - Span; at <= last; at += Step)
        {
            long requests = 0, input = 0, output = 0;
            for (var i = 0; i < perMinute; i++)
            {
                if (steps.TryGetValue(at - i * Step, out var step))
                {
                    requests += step.Requests;
                    input += step.InputTokens;
                    output += step.OutputTokens;
                }
            }
            points.Add(new BudgetPoint(at, requests, input, output, steps.GetValueOrDefault(at)?.RateLimited ?? 0));
        }
        return points;
    }
}

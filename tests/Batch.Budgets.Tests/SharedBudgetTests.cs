using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Messages;
using Batch.Simulator;
using Batch.Testing;
using Npgsql;

namespace Batch.Budgets.Tests;

/// <summary>The shared budgets in PostgreSQL, driven by several independent processes, against the simulator.</summary>
public class SharedBudgetTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    public const int MaxTokens = 60;
    public const int PromptCharacters = 300;
    private const string Model = "claude-sonnet-4-5";

    [Fact]
    public async Task Three_workers_one_a_separate_OS_process_stay_within_every_limit_for_over_a_minute()
    {
        const int rpm = 120, inputTpm = 9_000, outputTpm = 6_000;
        await using var simulator = await SimulatorServer.StartAsync(options =>
        {
            (options.Rpm, options.InputTpm, options.OutputTpm) = (rpm, inputTpm, outputTpm);
            // The server's buckets hold only 3 seconds' worth, so any burst beyond the pace shows up as a 429.
            options.BurstWindowMs = 3_000;
            (options.TimeToFirstTokenMs, options.MsPerOutputToken) = (100, 2);
            (options.OutputTokensMin, options.OutputTokensMax) = (20, MaxTokens);
        });
        var accountId = await CreateAccountAsync(rpm, inputTpm, outputTpm);
        var account = new MessagesAccount(accountId, "test", simulator.BaseUrl, simulator.ApiKey, "2023-06-01");
        var duration = TimeSpan.FromSeconds(65);

        using var child = StartChildWorker(account, duration, concurrency: 6);
        await using var first = BudgetProcess.Start(database.ConnectionString);
        await using var second = BudgetProcess.Start(database.ConnectionString);
        var inProcess = await Task.WhenAll(
            SendLoop.RunAsync(first, account, Model, Guid.NewGuid(), 6, MaxTokens, PromptCharacters, duration, CancellationToken.None),
            SendLoop.RunAsync(second, account, Model, Guid.NewGuid(), 6, MaxTokens, PromptCharacters, duration, CancellationToken.None));
        var childOutput = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        Assert.Equal(0, child.ExitCode);
        var fromChild = JsonSerializer.Deserialize<SendTotals>(childOutput.Trim().Split('\n')[^1])!;
        var totals = inProcess[0] + inProcess[1] + fromChild;

        var stats = simulator.GetStats();
        var limits = stats.RateLimits[Model];
        Assert.True(fromChild.Answered > 10, $"the child process answered only {fromChild.Answered}");
        Assert.InRange(totals.RateLimited, 0, 3);
        Assert.Equal(0, totals.OtherErrors);
        Assert.InRange(limits.Requests.MaxWindowUsage, 1, rpm);
        Assert.InRange(limits.InputTokens.MaxWindowUsage, 1, inputTpm);
        Assert.InRange(limits.OutputTokens.MaxWindowUsage, 1, outputTpm);
        // Input binds here; the budget is used, not just respected.
        Assert.True(limits.InputTokens.MaxWindowUsage >= 0.9 * inputTpm, $"best minute used {limits.InputTokens.MaxWindowUsage} of {inputTpm} input tokens");
    }

    [Fact]
    public async Task A_retry_after_pauses_the_budget_for_every_process_and_is_counted_for_the_dashboard()
    {
        var accountId = await CreateAccountAsync(6_000, 1_000_000, 1_000_000);
        await using var first = BudgetProcess.Start(database.ConnectionString);
        await using var second = BudgetProcess.Start(database.ConnectionString);
        var demand = new BudgetDemand(accountId, Model, Guid.NewGuid(), 0, 100, 100);

        var lease = await first.Budgets.AcquireAsync(demand, CancellationToken.None);
        await first.Budgets.SettleAsync(
            lease, new MessagesAttempt { Outcome = AttemptOutcome.Transient, HttpStatus = 429, RetryAfter = TimeSpan.FromSeconds(2) }, CancellationToken.None);
        var pausedUntil = await ScalarAsync<DateTimeOffset>("SELECT paused_until FROM batch.rate_budgets WHERE account_id = $1", accountId);

        var afterPause = await second.Budgets.AcquireAsync(demand, CancellationToken.None);

        Assert.True(pausedUntil >= lease.TakenAt.AddSeconds(2));
        Assert.True(afterPause.TakenAt >= pausedUntil, $"taken at {afterPause.TakenAt:O}, paused until {pausedUntil:O}");
        // The 429 lands in the usage slot of the request it answered: the budgets page's chart of 429s.
        Assert.Equal(1, await ScalarAsync<int>("SELECT sum(rate_limited)::int FROM batch.rate_budget_usage WHERE account_id = $1", accountId));
    }

    [Fact]
    public async Task Settling_refunds_the_estimate_down_to_actual_usage_and_limits_change_live()
    {
        var accountId = await CreateAccountAsync(6_000, 1_000_000, 1_000_000);
        var accountName = await ScalarAsync<string>("SELECT name FROM batch.provider_accounts WHERE id = $1", accountId);
        await using var process = BudgetProcess.Start(database.ConnectionString);

        var lease = await process.Budgets.AcquireAsync(new BudgetDemand(accountId, Model, Guid.NewGuid(), 0, 1_000, 500), CancellationToken.None);
        var inFlight = (await BudgetReports.ReadAsync(process.DataSource, accountName, CancellationToken.None))!.Single();
        await process.Budgets.SettleAsync(lease, Answered(input: 300, cacheWrite: 100, cacheRead: 5_000, output: 120), CancellationToken.None);
        var settled = (await BudgetReports.ReadAsync(process.DataSource, accountName, CancellationToken.None))!.Single();

        Assert.Equal("sonnet-4", inFlight.ModelClass);
        Assert.Equal((1_000L, 1_000L), (inFlight.InputTokens.InFlight, inFlight.InputTokens.UsedLastMinute));
        Assert.Equal((500L, 500L), (inFlight.OutputTokens.InFlight, inFlight.OutputTokens.UsedLastMinute));
        Assert.Equal((0L, 400L), (settled.InputTokens.InFlight, settled.InputTokens.UsedLastMinute));
        Assert.Equal((0L, 120L), (settled.OutputTokens.InFlight, settled.OutputTokens.UsedLastMinute));
        Assert.Equal((0L, 1L), (settled.Requests.InFlight, settled.Requests.UsedLastMinute));

        var changed = await BudgetReports.SetLimitsAsync(process.DataSource, accountName, "sonnet-4", 1, 1_000_000, 1_000_000, CancellationToken.None);
        Assert.Equal(1, changed!.Requests.Limit);
        // One request per minute, and the minute already holds one: the running process must now wait.
        using var shortWait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => process.Budgets.AcquireAsync(new BudgetDemand(accountId, Model, Guid.NewGuid(), 0, 10, 10), shortWait.Token));
        Assert.Null(await BudgetReports.ReadAsync(process.DataSource, "no-such-account", CancellationToken.None));
    }

    [Fact]
    public async Task Jobs_share_by_priority_then_round_robin_so_a_small_job_is_not_starved()
    {
        var accountId = await CreateAccountAsync(240, 1_000_000, 1_000_000);
        // One grant per transaction, so each lease's TakenAt shows the order the policy served them in
        // (grants made together share one database time).
        await using var process = BudgetProcess.Start(database.ConnectionString, new Dictionary<string, string?> { ["MaxGrantBatch"] = "1" });
        var budgets = process.Budgets;
        var (big, small, urgent) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // A pause holds everyone while the queue fills, so the order is the policy's alone.
        var warmup = await budgets.AcquireAsync(new BudgetDemand(accountId, Model, big, 0, 1, 1), CancellationToken.None);
        await budgets.SettleAsync(
            warmup, new MessagesAttempt { Outcome = AttemptOutcome.Transient, HttpStatus = 429, RetryAfter = TimeSpan.FromSeconds(1.5) }, CancellationToken.None);

        var grants = new ConcurrentBag<(DateTimeOffset At, Guid Job)>();
        async Task TakeAsync(Guid job, int priority)
        {
            var lease = await budgets.AcquireAsync(new BudgetDemand(accountId, Model, job, priority, 1, 1), CancellationToken.None);
            grants.Add((lease.TakenAt, job));
        }
        var takes = new List<Task>();
        takes.AddRange(Enumerable.Range(0, 10).Select(_ => TakeAsync(big, 0)));
        takes.AddRange(Enumerable.Range(0, 3).Select(_ => TakeAsync(small, 0)));
        takes.AddRange(Enumerable.Range(0, 2).Select(_ => TakeAsync(urgent, 1)));
        await Task.WhenAll(takes);

        var order = grants.OrderBy(g => g.At).Select(g => g.Job).ToList();
        Assert.Equal([urgent, urgent], order[..2]);
        Assert.Equal(3, order[2..8].Count(job => job == small));
        Assert.Equal(3, order[2..8].Count(job => job == big));
    }

    [Fact]
    public async Task One_transaction_grants_many_waiters_in_the_fairness_order()
    {
        // RPM 240: a one-second burst is 4 requests, so the first grant after the pause takes 4 of the 15 waiters.
        var accountId = await CreateAccountAsync(240, 1_000_000, 1_000_000);
        await using var process = BudgetProcess.Start(database.ConnectionString);
        var budgets = process.Budgets;
        var (big, small, urgent) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var warmup = await budgets.AcquireAsync(new BudgetDemand(accountId, Model, big, 0, 1, 1), CancellationToken.None);
        await budgets.SettleAsync(
            warmup, new MessagesAttempt { Outcome = AttemptOutcome.Transient, HttpStatus = 429, RetryAfter = TimeSpan.FromSeconds(1.5) }, CancellationToken.None);

        var demands = Enumerable.Repeat((big, 0), 10).Concat(Enumerable.Repeat((small, 0), 3)).Concat(Enumerable.Repeat((urgent, 1), 2));
        var leases = await Task.WhenAll(demands.Select(d => budgets.AcquireAsync(new BudgetDemand(accountId, Model, d.Item1, d.Item2, 1, 1), CancellationToken.None)));

        var first = leases.GroupBy(l => l.TakenAt).OrderBy(g => g.Key).First().Select(l => l.JobId).ToList();
        Assert.Equal(4, first.Count);
        Assert.Equal(2, first.Count(job => job == urgent));
        Assert.Equal(1, first.Count(job => job == small));
        Assert.Equal(1, first.Count(job => job == big));
    }

    [Fact]
    public async Task A_new_budget_ramps_up_instead_of_opening_with_a_minutes_burst()
    {
        const int rpm = 600;
        var accountId = await CreateAccountAsync(rpm, 1_000_000, 1_000_000);
        await using var first = BudgetProcess.Start(database.ConnectionString);
        await using var second = BudgetProcess.Start(database.ConnectionString);
        var demand = new BudgetDemand(accountId, Model, Guid.NewGuid(), 0, 1, 1);

        var leases = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? first : second).Budgets.AcquireAsync(demand, CancellationToken.None)));

        var times = leases.Select(l => l.TakenAt).Order().ToList();
        var math = new BucketMath(new BudgetOptions());
        for (var k = 0; k < times.Count; k++)
        {
            // From the first take on, no more than the opening burst plus what refilled since.
            var allowed = math.Capacity(rpm) + 1 + (math.RefillPerSecond(rpm) * (times[k] - times[0]).TotalSeconds);
            Assert.True(k + 1 <= allowed, $"take {k + 1} at +{(times[k] - times[0]).TotalSeconds:0.000} s; allowed {allowed:0.0}");
        }
    }

    private static MessagesAttempt Answered(int input, int cacheWrite, int cacheRead, int output) => new()
    {
        Outcome = AttemptOutcome.Succeeded,
        HttpStatus = 200,
        Message = new MessageResponse("msg", Model, JsonDocument.Parse("[]").RootElement, "", "end_turn", null,
            new MessageUsage(input, cacheWrite, cacheRead, cacheWrite, 0, output)),
    };

    private Process StartChildWorker(MessagesAccount account, TimeSpan duration, int concurrency)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            typeof(SharedBudgetTests).Assembly.Location, "budget-worker", database.ConnectionString, account.BaseUrl.ToString(), account.ApiKey,
            account.Id.ToString(), Model, duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), concurrency.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start)!;
    }

    private async Task<Guid> CreateAccountAsync(int rpm, int inputTpm, int outputTpm, OutputBudgetMode mode = OutputBudgetMode.ReserveMaxTokens)
    {
        await using var db = database.CreateContext();
        var account = new ProviderAccount
        {
            Id = Guid.CreateVersion7(),
            Name = $"budget-test-{Guid.NewGuid():N}"[..40],
            BaseUrl = "http://127.0.0.1/",
            ApiKeyReference = "Test:Key",
            Rpm = rpm,
            InputTpm = inputTpm,
            OutputTpm = outputTpm,
            OutputBudgetMode = mode,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.ProviderAccounts.Add(account);
        await db.SaveChangesAsync();
        return account.Id;
    }

    private async Task<T> ScalarAsync<T>(string sql, object parameter)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetFieldValue<T>(0);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Batch.Budgets;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Messages;
using Batch.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// The shared budgets against the simulator with realistic latency (0.5 s to first byte, 4 ms per output token),
/// one scenario per binding dimension (RPM; ITPM with large uncached prompts; OTPM with long outputs; ITPM with a
/// cached 4k-token shared prefix whose reads must not count), each with 1 and 3 budget instances ("processes":
/// separate service providers and connection pools in this process, driving IRateBudgets and the Messages client
/// directly). Prints per run: the binding dimension's steady-state rate / limit (goal at least 0.95), 429s (goal 0),
/// wall time / the budget-bound minimum (goal at most 1.05). The baseline is that minimum, plus one run of
/// per-process budgets (three limiters of the full limit each, as most tools do) to show what sharing prevents.
/// Needs ConnectionStrings__Batch (./batch bench sets it); makes and drops a database of its own.
/// Arguments: [seconds of budget per run = 30].
/// </summary>
public sealed class BudgetBenchmark : IBenchmark
{
    private const string Model = "claude-sonnet-4-5";

    public string Name => "budgets";

    public string Description => "Shared RPM/ITPM/OTPM budgets vs the limit, 1 and 3 processes, against the simulator";

    private sealed record Scenario(
        string Name, string Binding, int Rpm, int InputTpm, int OutputTpm, int PromptCharacters, int PrefixCharacters,
        int OutputMin, int OutputMax, int MaxTokens, OutputBudgetMode Mode);

    private sealed record Sent(DateTimeOffset TakenAt, DateTimeOffset Done, long Input, long Output, int Status);

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
        Scenario[] scenarios =
        [
            new("rpm", "requests", 600, 10_000_000, 10_000_000, 800, 0, 30, 70, 100, OutputBudgetMode.ReserveMaxTokens),
            new("itpm", "input", 100_000, 100_000, 10_000_000, 6_000, 0, 30, 70, 100, OutputBudgetMode.ReserveMaxTokens),
            new("otpm", "output", 100_000, 10_000_000, 20_000, 400, 0, 300, 500, 500, OutputBudgetMode.ActualOutput),
            new("itpm-cached", "input", 100_000, 100_000, 10_000_000, 2_000, 16_000, 30, 70, 100, OutputBudgetMode.ReserveMaxTokens),
        ];

        var database = await BenchmarkEnvironment.CreateScratchDatabaseAsync(connectionString, "batch_bench_budgets", migrate: true, cancellationToken);
        try
        {
            Console.WriteLine($"{seconds:0} s of budget per run; latency 500 ms + 4 ms/output token; headroom {new BudgetOptions().Headroom:P0}, burst {new BudgetOptions().BurstSeconds:0.#} s");
            Console.WriteLine($"{"scenario",-20} {"procs",5} {"binding",8} {"requests",8} {"rate/limit",10} {"429s",5} {"wall/min",8} {"wall/(min+lat)",12} {"peak min/limit",14} {"cache reads",11}");
            foreach (var scenario in scenarios)
            {
                foreach (var processes in new[] { 1, 3 })
                {
                    await RunAsync(database, scenario, processes, seconds, sharedBudget: true, cancellationToken);
                }
            }
            await RunAsync(database, scenarios[0], 3, seconds, sharedBudget: false, cancellationToken);
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(connectionString, database);
        }
    }

    private static async Task RunAsync(string database, Scenario scenario, int processes, double seconds, bool sharedBudget, CancellationToken cancellationToken)
    {
        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            (o.Rpm, o.InputTpm, o.OutputTpm) = (scenario.Rpm, scenario.InputTpm, scenario.OutputTpm);
            (o.TimeToFirstTokenMs, o.MsPerOutputToken) = (500, 4);
            (o.OutputTokensMin, o.OutputTokensMax) = (scenario.OutputMin, scenario.OutputMax);
        }, cancellationToken);
        var accounts = new List<MessagesAccount>();
        for (var i = 0; i < (sharedBudget ? 1 : processes); i++)
        {
            var id = await CreateAccountAsync(database, scenario, cancellationToken);
            accounts.Add(new MessagesAccount(id, "bench", simulator.BaseUrl, simulator.ApiKey, "2023-06-01"));
        }

        // The job: enough requests for `seconds` of the binding budget at its expected cost.
        var prefix = scenario.PrefixCharacters > 0 ? new string('p', scenario.PrefixCharacters) : null;
        var costPerRequest = scenario.Binding switch
        {
            "requests" => 1.0,
            "input" => (scenario.PromptCharacters / 4.0) + 30,
            _ => (scenario.OutputMin + scenario.OutputMax) / 2.0,
        };
        var limit = scenario.Binding switch { "requests" => scenario.Rpm, "input" => scenario.InputTpm, _ => scenario.OutputTpm };
        var total = (int)Math.Round(seconds * limit / 60 / costPerRequest);
        var jobId = Guid.NewGuid();
        var sent = new ConcurrentBag<Sent>();
        var next = 0;

        var instances = Enumerable.Range(0, processes).Select(_ => StartInstance(database)).ToList();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            if (prefix is not null)
            {
                // Write the cache once before fanning out, as the worker does.
                await SendOneAsync(instances[0], accounts[0], scenario, jobId, prefix, cached: false, Interlocked.Increment(ref next), sent, cancellationToken);
            }
            await Task.WhenAll(instances.Select((instance, i) => Task.WhenAll(Enumerable.Range(0, 48).Select(async _ =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) <= total)
                {
                    await SendOneAsync(instance, accounts[i % accounts.Count], scenario, jobId, prefix, cached: prefix is not null, index, sent, cancellationToken);
                }
            }))));
            var wall = stopwatch.Elapsed.TotalSeconds;
            Report(scenario, processes, sharedBudget, sent.ToList(), wall, limit, simulator.GetStats());
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    private static async Task SendOneAsync(
        ServiceProvider instance, MessagesAccount account, Scenario scenario, Guid jobId, string? prefix, bool cached, int index,
        ConcurrentBag<Sent> sent, CancellationToken cancellationToken)
    {
        var budgets = instance.GetRequiredService<IRateBudgets>();
        var messages = instance.GetRequiredService<IMessagesClient>();
        var text = $"Row {index} of job {jobId:N}. " + new string('x', scenario.PromptCharacters);
        var body = new JsonObject
        {
            ["model"] = Model,
            ["max_tokens"] = scenario.MaxTokens,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        if (prefix is not null)
        {
            body["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = prefix, ["cache_control"] = new JsonObject { ["type"] = "ephemeral" } });
        }
        var characters = text.Length + (prefix?.Length ?? 0);
        var cachedCharacters = cached ? prefix!.Length : 0;
        while (true)
        {
            var estimate = budgets.EstimateInputTokens(jobId, characters, cachedCharacters);
            var lease = await budgets.AcquireAsync(
                new BudgetDemand(account.Id, Model, jobId, 0, estimate, scenario.MaxTokens, characters, cachedCharacters), cancellationToken);
            var attempt = await messages.SendAsync(account, body, cancellationToken);
            await budgets.SettleAsync(lease, attempt, cancellationToken);
            var usage = attempt.Message?.Usage;
            sent.Add(new Sent(lease.TakenAt, DateTimeOffset.UtcNow, usage is null ? 0 : usage.InputTokens + usage.CacheCreationInputTokens, usage?.OutputTokens ?? 0, attempt.HttpStatus ?? 0));
            if (attempt.Outcome != AttemptOutcome.Transient)
            {
                return;
            }
        }
    }

    private static void Report(
        Scenario scenario, int processes, bool sharedBudget, List<Sent> sent, double wall, int limit, SimulatorStatsSnapshot stats)
    {
        var answered = sent.Where(s => s.Status == 200).ToList();
        double Cost(Sent s) => scenario.Binding switch { "requests" => 1, "input" => s.Input, _ => s.Output };
        var totalCost = answered.Sum(Cost);
        var minimum = totalCost / (limit / 60.0);

        // Steady state: from the first admission 5 s in to the last one, by the budget's clock; the requests admitted in
        // between (the last excluded) are what the budget let through in that time.
        var start = answered.Min(s => s.TakenAt).AddSeconds(5);
        var from = answered.Where(s => s.TakenAt >= start).Min(s => s.TakenAt);
        var last = answered.Max(s => s.TakenAt);
        var steady = answered.Where(s => s.TakenAt >= from && s.TakenAt < last).Sum(Cost) / (last - from).TotalSeconds * 60 / limit;
        // The last request cannot finish before its own latency: the minimum plus that is what a perfect limiter could do.
        var latency = answered.Select(s => (s.Done - s.TakenAt).TotalSeconds).Order().ElementAt(answered.Count / 2);

        var rates = stats.RateLimits[Model];
        var peak = scenario.Binding switch
        {
            "requests" => rates.Requests.MaxWindowUsage,
            "input" => rates.InputTokens.MaxWindowUsage,
            _ => rates.OutputTokens.MaxWindowUsage,
        } / (double)limit;
        var label = sharedBudget ? scenario.Name : $"{scenario.Name} per-process";
        Console.WriteLine(
            $"{label,-20} {processes,5} {scenario.Binding,8} {answered.Count,8} {steady,10:0.000} {sent.Count(s => s.Status == 429),5} {wall / minimum,8:0.000} {wall / (minimum + latency),12:0.000} {peak,14:0.000} {stats.Tokens.CacheRead,11:N0}");
    }

    private static ServiceProvider StartInstance(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        // Made by the container so that disposing it closes the pool.
        services.AddSingleton(_ => BatchDatabase.CreateDataSource(connectionString));
        services.AddBatchBudgets(new ConfigurationBuilder().Build());
        services.AddBatchMessages(new ConfigurationBuilder().Build());
        return services.BuildServiceProvider();
    }

    private static async Task<Guid> CreateAccountAsync(string connectionString, Scenario scenario, CancellationToken cancellationToken)
    {
        await using var dataSource = BatchDatabase.CreateDataSource(connectionString);
        await using var db = BatchDatabase.CreateContext(dataSource);
        var account = new ProviderAccount
        {
            Id = Guid.CreateVersion7(),
            Name = $"bench-{Guid.NewGuid():N}"[..30],
            BaseUrl = "http://127.0.0.1/",
            ApiKeyReference = "Bench:Key",
            Rpm = scenario.Rpm,
            InputTpm = scenario.InputTpm,
            OutputTpm = scenario.OutputTpm,
            OutputBudgetMode = scenario.Mode,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.ProviderAccounts.Add(account);
        await db.SaveChangesAsync(cancellationToken);
        return account.Id;
    }
}

using System.Globalization;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Simulator;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// The shared budgets end to end: real worker processes (1, then 3) run a job against the simulator with realistic
/// latency (0.5 s to first byte, 4 ms per output token) and limits where each dimension in turn binds (RPM 600; ITPM
/// 100k with large uncached prompts; OTPM 20k with long outputs; ITPM 100k with a cached 4k-token shared prefix whose
/// reads must not count). The limits are set on the simulator and, through the default account's configuration
/// (<c>Anthropic__Rpm</c>, ...), on the account's budget that every worker shares. Figures come from the simulator's
/// own accounting (its totals, 429s and peak 60-second window) and from job_rows (each row's usage as the simulator
/// reported it, sent at completed_at − latency_ms) and the job's started_at/finished_at:
/// <list type="bullet">
/// <item>rate/limit: the binding dimension's usage sent from 5 s after the first send (the ramp-up) to the last send,
/// per minute, over the limit (goal at least 0.95);</item>
/// <item>429s (goal 0; at most 0.1% of requests) and the peak minute over the limit (must not exceed 1);</item>
/// <item>wall/min: the job's wall time, from its first request sent to its end (finished_at), over its budget-bound
/// minimum (goal at most 1.05). The minimum is the baseline, measured in the same run: the time the limit needs to
/// admit the job's whole cost as the simulator counted it (cost × 60 / limit), plus one answer (the median latency of
/// the job's requests): a cost charged at admission (RPM, ITPM) still has its last request answered after it, and output
/// counted as generated (the OTPM scenario's <c>ActualOutput</c>) lands only as answers end, so the first minute's window
/// fills one answer late. No limiter that ramps up instead of bursting finishes sooner. The worker's own start (job started → first request: fresh processes warming up, Hangfire
/// dispatch) is printed apart as "start s"; the end (last answer → job completed) is in the wall time and printed as
/// "end s".</item>
/// </list>
/// Then, for contrast, per-process limiters: the RPM job with 3 processes whose budget is 3 × the limit, what three
/// limiters of the full limit each add up to, on a job twice as long (the simulator's bucket starts with a full
/// minute, which hides the excess for the first minute).
/// Needs ConnectionStrings__Batch (./batch bench sets it) and a Release build of Batch.Worker; makes and drops
/// databases of its own. Arguments: [seconds of budget per job = 60] [scenarios, comma-separated =
/// rpm,itpm,otpm,itpm-cached,per-process] [process counts, comma-separated = 1,3].
/// </summary>
public sealed class BudgetBenchmark : IBenchmark
{
    private const string Model = "claude-sonnet-4-5";
    private const double RampSeconds = 5;

    public string Name => "budgets";

    public string Description => "Shared RPM/ITPM/OTPM budgets vs the limit, 1 and 3 worker processes, against the simulator";

    private enum Dimension
    {
        Requests,
        Input,
        Output,
    }

    private sealed record Scenario(
        string Name, Dimension Binding, int Rpm, int InputTpm, int OutputTpm, int PromptCharacters, int PrefixCharacters,
        int OutputMin, int OutputMax, int MaxTokens, OutputBudgetMode Mode)
    {
        public int Limit => Binding switch { Dimension.Requests => Rpm, Dimension.Input => InputTpm, _ => OutputTpm };

        /// <summary>What one request is expected to cost in the binding dimension, to size the job.</summary>
        public double ExpectedCost => Binding switch
        {
            Dimension.Requests => 1,
            Dimension.Input => (PromptCharacters / 4.0) + 10,
            _ => (OutputMin + Math.Min(OutputMax, MaxTokens)) / 2.0,
        };
    }

    /// <summary>One answered row: when it was sent, what it cost in the binding dimension, how long its answer took.</summary>
    private sealed record Sent(DateTimeOffset At, double Cost, double LatencySeconds)
    {
        public DateTimeOffset AnsweredAt => At.AddSeconds(LatencySeconds);
    }

    private sealed record JobTimes(DateTimeOffset StartedAt, DateTimeOffset FinishedAt, int Failed);

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        var chosen = args.Length > 1 ? args[1].Split(',') : ["rpm", "itpm", "otpm", "itpm-cached", "per-process"];
        var counts = args.Length > 2 ? args[2].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray() : [1, 3];
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
        const int Unlimited = 10_000_000;
        Scenario[] scenarios =
        [
            new("rpm", Dimension.Requests, 600, Unlimited, Unlimited, 800, 0, 30, 70, 100, OutputBudgetMode.ReserveMaxTokens),
            new("itpm", Dimension.Input, Unlimited, 100_000, Unlimited, 6_000, 0, 30, 70, 100, OutputBudgetMode.ReserveMaxTokens),
            new("otpm", Dimension.Output, Unlimited, Unlimited, 20_000, 400, 0, 300, 500, 500, OutputBudgetMode.ActualOutput),
            new("itpm-cached", Dimension.Input, Unlimited, 100_000, Unlimited, 2_000, 16_000, 30, 70, 100, OutputBudgetMode.ReserveMaxTokens),
        ];

        Console.WriteLine($"{seconds:0} s of budget per job; latency 500 ms + 4 ms/output token; real worker processes");
        Console.WriteLine(
            $"{"scenario",-20} {"procs",5} {"binding",8} {"requests",8} {"rate/limit",10} {"429s",5} {"wall s",7} {"min s",6} {"wall/min",8} {"start s",7} {"end s",6} {"peak min/limit",14} {"cache reads",11}");
        foreach (var scenario in scenarios.Where(s => chosen.Contains(s.Name)))
        {
            foreach (var processes in counts)
            {
                await RunAsync(server, scenario, scenario.Name, processes, budgetMultiple: 1, seconds, cancellationToken);
            }
        }
        if (chosen.Contains("per-process"))
        {
            await RunAsync(server, scenarios[0], "rpm per-process", 3, budgetMultiple: 3, 2 * seconds, cancellationToken);
        }
        Console.WriteLine("goals: rate/limit >= 0.95; 0 429s (at most 0.1% of requests); wall/min <= 1.05; peak min/limit <= 1");
    }

    /// <param name="budgetMultiple">The account's budget as a multiple of the simulator's limits: 1 shares the limit, N is N per-process limiters.</param>
    private static async Task RunAsync(
        string server, Scenario scenario, string label, int processes, int budgetMultiple, double seconds, CancellationToken cancellationToken)
    {
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_budgets", migrate: true, cancellationToken);
        try
        {
            await using var simulator = await SimulatorServer.StartAsync(o =>
            {
                (o.Rpm, o.InputTpm, o.OutputTpm) = (scenario.Rpm, scenario.InputTpm, scenario.OutputTpm);
                (o.TimeToFirstTokenMs, o.MsPerOutputToken) = (500, 4);
                (o.OutputTokensMin, o.OutputTokensMax) = (scenario.OutputMin, scenario.OutputMax);
            }, cancellationToken);
            var settings = new Dictionary<string, string>
            {
                ["Anthropic__Rpm"] = Invariant((long)scenario.Rpm * budgetMultiple),
                ["Anthropic__InputTpm"] = Invariant((long)scenario.InputTpm * budgetMultiple),
                ["Anthropic__OutputTpm"] = Invariant((long)scenario.OutputTpm * budgetMultiple),
                ["Anthropic__OutputBudgetMode"] = scenario.Mode.ToString(),
            };
            await using var workers = await WorkerProcesses.StartAsync(processes, connectionString, simulator, settings, cancellationToken);
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);

            var rows = (int)Math.Round(seconds * scenario.Limit / 60 / scenario.ExpectedCost);
            var prompt = new string('x', scenario.PromptCharacters);
            var jobId = await WorkerProcesses.InsertJobAsync(
                dataSource,
                new BenchmarkJob($"budgets {label}", Model, scenario.PrefixCharacters > 0 ? new string('p', scenario.PrefixCharacters) : null,
                    "Row {{id}}: {{text}}", scenario.MaxTokens, rows, _ => prompt),
                cancellationToken);
            WorkerProcesses.EnqueueStart(connectionString, jobId);
            await workers.WaitForCompletionAsync(dataSource, jobId, cancellationToken);

            var sent = await ReadSentAsync(dataSource, jobId, scenario.Binding, cancellationToken);
            var times = await ReadTimesAsync(dataSource, jobId, cancellationToken);
            Report(scenario, label, processes, sent, times, simulator.GetStats());
        }
        finally
        {
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    private static void Report(Scenario scenario, string label, int processes, List<Sent> sent, JobTimes times, SimulatorStatsSnapshot stats)
    {
        var limit = scenario.Limit;
        var answered = stats.RequestsByStatus.GetValueOrDefault("200");
        var rejected = stats.RequestsByStatus.GetValueOrDefault("429");
        var tokens = stats.Tokens;
        // The job's cost by the simulator's count: what its limit had to admit.
        var cost = scenario.Binding switch
        {
            Dimension.Requests => answered,
            Dimension.Input => tokens.Input + tokens.CacheWrite5m + tokens.CacheWrite1h,
            _ => tokens.Output,
        };

        // Steady state: from RampSeconds after the first send to the last send; the rows sent in between (the last
        // excluded) are what the budget let through in that time.
        var from = sent.Where(s => s.At >= sent[0].At.AddSeconds(RampSeconds)).Select(s => s.At).DefaultIfEmpty(sent[0].At).First();
        var last = sent[^1].At;
        var steady = last > from ? sent.Where(s => s.At >= from && s.At < last).Sum(s => s.Cost) / (last - from).TotalSeconds * 60 / limit : double.NaN;

        // One answer no limiter can avoid: a cost charged at admission still has its last request answered after it, and
        // output counted as generated lands only as the first answers end (and no window may hold more than the limit).
        var answer = sent.Select(s => s.LatencySeconds).Order().ElementAt(sent.Count / 2);
        var minimum = (cost * 60.0 / limit) + answer;
        var wall = (times.FinishedAt - sent[0].At).TotalSeconds;
        // Worker overheads: from the job's start to its first send (shown apart: fresh processes warming up), from its
        // last answer to the job's end (included in the wall time).
        var start = (sent[0].At - times.StartedAt).TotalSeconds;
        var end = (times.FinishedAt - sent.Max(s => s.AnsweredAt)).TotalSeconds;

        var rates = stats.RateLimits[Model];
        var peak = scenario.Binding switch
        {
            Dimension.Requests => rates.Requests.MaxWindowUsage,
            Dimension.Input => rates.InputTokens.MaxWindowUsage,
            _ => rates.OutputTokens.MaxWindowUsage,
        } / (double)limit;
        Console.WriteLine(
            $"{label,-20} {processes,5} {scenario.Binding.ToString().ToLowerInvariant(),8} {answered,8} {steady,10:0.000} {rejected,5} " +
            $"{wall,7:0.0} {minimum,6:0.0} {wall / minimum,8:0.000} {start,7:0.00} {end,6:0.00} {peak,14:0.000} {tokens.CacheRead,11:N0}" +
            (times.Failed > 0 ? $"  ({times.Failed} rows failed)" : ""));
    }

    private static async Task<List<Sent>> ReadSentAsync(NpgsqlDataSource dataSource, Guid jobId, Dimension binding, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT completed_at - latency_ms * interval '1 millisecond', latency_ms,
                   input_tokens + cache_write5m_tokens + cache_write1h_tokens, output_tokens
            FROM batch.job_rows WHERE job_id = $1 AND status = 2
            """);
        command.Parameters.Add(new() { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sent = new List<Sent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var cost = binding switch { Dimension.Requests => 1, Dimension.Input => reader.GetInt32(2), _ => reader.GetInt32(3) };
            sent.Add(new Sent(reader.GetFieldValue<DateTimeOffset>(0), cost, reader.GetInt32(1) / 1000.0));
        }
        return [.. sent.OrderBy(s => s.At)];
    }

    private static async Task<JobTimes> ReadTimesAsync(NpgsqlDataSource dataSource, Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT started_at, finished_at, failed_rows FROM batch.jobs WHERE id = $1");
        command.Parameters.Add(new() { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new JobTimes(reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt32(2));
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

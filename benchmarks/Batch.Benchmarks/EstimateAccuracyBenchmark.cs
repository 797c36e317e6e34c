using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Batch.Data;
using Batch.Simulator;

namespace Batch.Benchmarks;

/// <summary>
/// How close <c>POST /api/jobs/estimate</c> comes to what the job then costs, on four job shapes, against the simulator
/// (whose count_tokens counts exactly what its answers' usage says): each shape is estimated, uploaded, run by a real
/// worker process, then the same again with fresh rows (now with an earlier job of the same spec, so the expected output
/// is learned from it).
/// Prints |expected - actual| / actual for input tokens (uncached, cache writes and reads together) and for cost, and
/// whether the actual cost fell between low and high. Goals: input tokens within 3 %; actual cost always between low
/// and high. Needs ConnectionStrings__Batch (./batch bench sets it); makes and drops a database of its own.
/// </summary>
public sealed class EstimateAccuracyBenchmark : IBenchmark
{
    public string Name => "estimate";

    public string Description => "Estimate vs actual input tokens and cost on four job shapes (short rows, long rows, params with tools, 1h cache)";

    private sealed record Shape(string Name, string FileName, string ContentType, string Spec, Func<int, string> Line, string? Header, int Rows);

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
            ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            (o.Rpm, o.InputTpm, o.OutputTpm, o.CountTokensRpm) = (0, 0, 0, 0);
            o.SpeedFactor = 0;
            (o.OutputTokensMin, o.OutputTokensMax) = (20, 200);
        }, cancellationToken);
        var connectionString = await BenchmarkEnvironment.CreateScratchDatabaseAsync(server, "batch_bench_estimate", migrate: true, cancellationToken);
        var directory = Directory.CreateTempSubdirectory("batch-estimate-");
        try
        {
            var account = new Dictionary<string, string>
            {
                ["Anthropic__BaseUrl"] = simulator.BaseUrl.ToString(),
                ["Anthropic__ApiKey"] = simulator.ApiKey,
                ["Anthropic__Rpm"] = "100000000",
                ["Anthropic__InputTpm"] = "2000000000",
                ["Anthropic__OutputTpm"] = "2000000000",
            };
            await using var workers = await WorkerProcesses.StartAsync(1, connectionString, simulator, settings: null, cancellationToken);
            await using var api = await BatchApiProcess.StartAsync(connectionString, cancellationToken, account);
            await using var dataSource = BatchDatabase.CreateDataSource(connectionString);

            Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}; count_tokens sample: the API's default ({Environment.GetEnvironmentVariable("Batch__Estimates__SampleRows") ?? "10"} rows)");
            Console.WriteLine("Each shape runs twice with fresh rows: the first estimate has no earlier job (expected output = max_tokens), the second has the first.");
            Console.WriteLine($"{"shape",-22} {"run",3} {"rows",6} {"input est",10} {"actual",10} {"error",7} {"cost low",9} {"expected",9} {"high",9} {"actual",9} {"error",7} {"in range",8}");
            foreach (var shape in Shapes())
            {
                for (var run = 1; run <= 2; run++)
                {
                    var path = Path.Combine(directory.FullName, $"{run}-{shape.FileName}");
                    await File.WriteAllTextAsync(path, (shape.Header ?? "") + string.Concat(Enumerable.Range(1, shape.Rows).Select(shape.Line)), cancellationToken);

                    var estimate = await EstimateAsync(api, path, shape, cancellationToken);
                    var (status, created) = await api.UploadAsync(path, shape.ContentType, shape.Spec, cancellationToken);
                    if (status != HttpStatusCode.Created)
                    {
                        throw new InvalidOperationException($"{shape.Name}: upload answered {(int)status}: {created}");
                    }
                    var jobId = JsonDocument.Parse(created).RootElement.GetProperty("id").GetGuid();
                    await workers.WaitForCompletionAsync(dataSource, jobId, cancellationToken);
                    var actual = await ActualAsync(dataSource, jobId, cancellationToken);

                    var estimatedInput = estimate.GetProperty("input_tokens").GetInt64() + estimate.GetProperty("cache_write_tokens").GetInt64() + estimate.GetProperty("cache_read_tokens").GetInt64();
                    var cost = estimate.GetProperty("cost_usd");
                    decimal low = cost.GetProperty("low").GetDecimal(), expected = cost.GetProperty("expected").GetDecimal(), high = cost.GetProperty("high").GetDecimal();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{shape.Name,-22} {run,3} {shape.Rows,6} {estimatedInput,10:N0} {actual.Input,10:N0} {Error(estimatedInput, actual.Input),7:P2} {low,9:0.0000} {expected,9:0.0000} {high,9:0.0000} {actual.Cost,9:0.0000} {Error(expected, actual.Cost),7:P1} {(low <= actual.Cost && actual.Cost <= high ? "yes" : "NO"),8}"));
                    Console.WriteLine($"{"",26} {estimate.GetProperty("token_counting").GetString()}; {string.Join(" | ", estimate.GetProperty("notes").EnumerateArray().Select(n => n.GetString()))}");
                }
            }
            Console.WriteLine("goals: input tokens within 3 %; actual cost between low and high on every shape");
        }
        finally
        {
            directory.Delete(recursive: true);
            await BenchmarkEnvironment.DropScratchDatabaseAsync(server, connectionString);
        }
    }

    private static IEnumerable<Shape> Shapes()
    {
        var random = new Random(11);
        string Words(int characters)
        {
            var text = new StringBuilder(characters + 16);
            while (text.Length < characters)
            {
                text.Append(Vocabulary[random.Next(Vocabulary.Length)]).Append(' ');
            }
            return text.ToString(0, characters);
        }

        yield return new Shape("short CSV rows", "short.csv", "text/csv",
            """{"model": "claude-sonnet-4-5", "template": "Label this review as positive, negative or mixed: {{text}}", "max_tokens": 256}""",
            i => $"r{i},\"{Words(random.Next(20, 120))}\"\n", "custom_id,text\n", 2_000);
        yield return new Shape("long rows", "long.csv", "text/csv",
            """{"model": "claude-haiku-4-5", "system": "You summarise support tickets.", "template": "Summarise this ticket in three lines:\n\n{{text}}", "max_tokens": 300}""",
            i => $"t{i},\"{Words(random.Next(2_000, 8_000))}\"\n", "custom_id,text\n", 300);
        var tools = """[{"name": "record_label", "description": "Record the review's label and topics.", "input_schema": {"type": "object", "properties": {"label": {"type": "string", "enum": ["positive", "negative", "mixed"]}, "topics": {"type": "array", "items": {"type": "string"}}}, "required": ["label"]}}]""";
        yield return new Shape("params rows with tools", "params.jsonl", "application/jsonl",
            $$$"""{"model": "claude-sonnet-4-5", "max_tokens": 200, "tools": {{{tools}}}, "tool_choice": {"type": "any"}}""",
            i => JsonSerializer.Serialize(new
            {
                custom_id = $"p{i}",
                @params = new { messages = new[] { new { role = "user", content = $"Label review {i}: {Words(random.Next(40, 1_500))}" } } },
            }) + "\n", null, 500);
        yield return new Shape("1h cache", "cached.csv", "text/csv",
            JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["model"] = "claude-sonnet-4-5",
                ["system"] = "You grade answers against this rubric.\n" + Words(32_000),
                ["template"] = "Grade: {{text}}",
                ["max_tokens"] = 128,
                ["cache_ttl"] = "1h",
            }),
            i => $"a{i},\"{Words(random.Next(50, 400))}\"\n", "custom_id,text\n", 1_000);
    }

    private static readonly string[] Vocabulary =
        ["battery", "screen", "arrived", "late", "works", "great", "broken", "refund", "quality", "price", "fast", "slow", "support", "helpful", "again", "never", "would", "buy", "the", "and", "it", "was"];

    private static async Task<JsonElement> EstimateAsync(BatchApiProcess api, string path, Shape shape, CancellationToken cancellationToken)
    {
        var (status, body) = await api.UploadAsync(path, shape.ContentType, shape.Spec, cancellationToken, "/api/jobs/estimate");
        return status == HttpStatusCode.OK
            ? JsonDocument.Parse(body).RootElement.Clone()
            : throw new InvalidOperationException($"{shape.Name}: estimate answered {(int)status}: {body}");
    }

    private static async Task<(long Input, decimal Cost)> ActualAsync(Npgsql.NpgsqlDataSource dataSource, Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT input_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens, cost_usd FROM batch.jobs WHERE id = $1");
        command.Parameters.Add(new() { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetDecimal(1));
    }

    private static double Error(decimal estimate, decimal actual) => actual == 0 ? double.NaN : (double)(Math.Abs(estimate - actual) / actual);

    private static double Error(long estimate, long actual) => actual == 0 ? double.NaN : Math.Abs(estimate - actual) / (double)actual;
}

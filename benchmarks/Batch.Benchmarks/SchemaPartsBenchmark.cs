using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Data.Rows;
using Batch.Messages;
using Batch.Worker.Execution;
using Batch.Worker.Requests;

namespace Batch.Benchmarks;

/// <summary>
/// The schema's own work in one row, in-process and without the rest of the worker around it: building and writing the
/// request body, reading the answer, and (with a schema) taking the object out and validating it, each timed over many
/// calls with the simulator's real answers. The complement of <see cref="SchemaValidationBenchmark"/>, whose end-to-end
/// CPU per row moves by about 10% from job to job: these parts do not. Arguments: [calls = 200000].
/// </summary>
public sealed class SchemaPartsBenchmark : IBenchmark
{
    private const string Input = """{"id":"17","text":"Arrived quickly, works as described."}""";

    public string Name => "schema-parts";

    public string Description => "The schema's own work per row (request, answer, validation), in microseconds and bytes, in-process";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var calls = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
        await using var simulator = await WorkerProcesses.StartUnlimitedSimulatorAsync(cancellationToken);
        using var http = new HttpClient { BaseAddress = simulator.BaseUrl };
        var account = new ProviderAccount { Name = "default", BaseUrl = simulator.BaseUrl.ToString(), ApiKeyReference = "Anthropic:ApiKey" };
        Console.WriteLine($"{"variant",-12} {"request",8} {"answer",7} | {"build + write body",20} | {"read answer",16} | {"check answer",16} | {"total",8}");
        var totals = new Dictionary<string, double>();
        var variants = SchemaValidationBenchmark.Variants;
        // The first pass compiles and optimises the code every variant shares; only the second is shown.
        foreach (var (pass, (label, schema, mode)) in variants.Select(v => (0, v)).Concat(variants.Select(v => (1, v))))
        {
            var output = StructuredOutput.Create(new Job { Project = "bench", Name = label, Model = "claude-sonnet-4-5", OutputSchema = schema, OutputMode = mode }, []);
            var job = new JobContext(Guid.NewGuid(), label, JobStatus.Running, "claude-sonnet-4-5", 64, 0, RowFormat.CsvTemplate, "You label reviews.",
                new TemplateRenderer("Label review {{id}}: {{text}}"), [], CacheTtl.FiveMinutes, account, null, new PriceBook([]), Output: output);
            var body = RequestBuilder.Build(job, Input, out var format);
            var request = JsonSerializer.SerializeToUtf8Bytes(body);
            var answer = await AskAsync(http, simulator, request, cancellationToken);
            var message = ResponseParser.ParseMessage(answer) ?? throw new InvalidOperationException("The simulator's answer is not a message.");
            if (format is { } asked && output!.Read(message, asked).ErrorType is { } error)
            {
                throw new InvalidOperationException($"The simulator's answer does not match the schema ({error}): the timing would not be of a valid row.");
            }

            var build = Time(calls, () => JsonSerializer.SerializeToUtf8Bytes(RequestBuilder.Build(job, Input, out _)));
            var read = Time(calls, () => ResponseParser.ParseMessage(answer));
            var check = format is { } f ? Time(calls, () => output!.Read(message, f)) : (0, 0);
            var total = build.Microseconds + read.Microseconds + check.Microseconds;
            totals[label] = total;
            if (pass == 0)
            {
                continue;
            }
            Console.WriteLine($"{label,-12} {request.Length,6} B {answer.Length,5} B | {Show(build),20} | {Show(read),16} | {Show(check),16} | {total,5:0.00} us");
        }
        foreach (var label in new[] { "json_schema", "tool" })
        {
            Console.WriteLine($"{label}: {totals[label] - totals["none"]:+0.00;-0.00} us a row over no schema");
        }
    }

    private static async Task<byte[]> AskAsync(HttpClient http, Batch.Simulator.SimulatorServer simulator, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", simulator.ApiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    private static string Show((double Microseconds, long Bytes) part) => $"{part.Microseconds,5:0.00} us {part.Bytes,5} B";

    /// <summary>Microseconds and bytes allocated per call, after a warm-up long enough for the runtime to optimise the code.</summary>
    private static (double Microseconds, long Bytes) Time(int calls, Action action)
    {
        for (var i = 0; i < calls / 4; i++)
        {
            action();
        }
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            action();
        }
        return (clock.Elapsed.TotalMicroseconds / calls, (GC.GetAllocatedBytesForCurrentThread() - bytes) / calls);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Batch.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Batch.Benchmarks;

/// <summary>
/// Requests per second the simulator answers at zero latency over loopback, against a bare Kestrel
/// endpoint returning a fixed JSON body as the baseline. The simulator must stay far above Batch's
/// own request rate (goal: more than 5,000 req/s) so it never is the bottleneck of other benchmarks.
/// Arguments: [requests=40000] [concurrency=64].
/// </summary>
public sealed class SimulatorThroughputBenchmark : IBenchmark
{
    private static string BodyFor(int row) =>
        $$"""{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Summarise row {{row}} in one sentence."}]}""";

    public string Name => "simulator";

    public string Description => "Simulator requests/s at zero latency vs a bare Kestrel endpoint";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 40_000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;

        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            o.SpeedFactor = 0;
            (o.Rpm, o.InputTpm, o.OutputTpm) = (0, 0, 0);
        }, cancellationToken);
        await using var baseline = await StartBaselineAsync(cancellationToken);
        var baselineUrl = new Uri(baseline.Urls.First() + "/");

        // Warm-up: JIT, connection pool, tiered compilation.
        await MeasureAsync(simulator.BaseUrl, simulator.ApiKey, requests / 10, concurrency, cancellationToken);
        await MeasureAsync(baselineUrl, "", requests / 10, concurrency, cancellationToken);

        var simulated = await MeasureAsync(simulator.BaseUrl, simulator.ApiKey, requests, concurrency, cancellationToken);
        var bare = await MeasureAsync(baselineUrl, "", requests, concurrency, cancellationToken);

        var answered = simulator.GetStats().RequestsByStatus.GetValueOrDefault("200");
        Console.WriteLine($"requests: {requests:N0}, concurrency: {concurrency}, cores: {Environment.ProcessorCount}");
        Console.WriteLine($"simulator  {simulated,10:N0} req/s  ({answered:N0} answered 200)");
        Console.WriteLine($"baseline   {bare,10:N0} req/s  (bare Kestrel, fixed JSON)");
        Console.WriteLine($"ratio      {simulated / bare,10:P0} of baseline");
    }

    private static async Task<double> MeasureAsync(Uri baseUrl, string apiKey, int requests, int concurrency, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = baseUrl };
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
                {
                    Content = new StringContent(BodyFor(index), Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("x-api-key", apiKey);
                request.Headers.Add("anthropic-version", "2023-06-01");
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"Unexpected {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
                await response.Content.ReadAsByteArrayAsync(cancellationToken);
            }
        });
        await Task.WhenAll(workers);
        return requests / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<WebApplication> StartBaselineAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var fixedBody = Encoding.UTF8.GetBytes("""{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}]}""");
        app.MapPost("/v1/messages", () => TypedResults.Bytes(fixedBody, "application/json"));
        await app.StartAsync(cancellationToken);
        return app;
    }
}

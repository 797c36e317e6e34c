using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Batch.Benchmarks;

/// <summary>
/// Creates a Message Batches batch of N requests (default 100,000, about 60 MB: mixed models, a cached system prompt, a
/// review each) through <c>POST /v1/messages/batches</c> of a Batch API process, and compares with <c>psql \copy</c> of the
/// same request lines into a plain table, in the same run. Goals: at least 0.5x the speed of \copy; API peak RSS below 300 MB.
/// Usage: <c>./batch bench batches [--rows N]</c>.
/// </summary>
public sealed class BatchCreateBenchmark : IBenchmark
{
    public string Name => "batches";

    public string Description => "Message Batches create over HTTP vs psql \\copy of the same lines (speed ratio, API peak RSS); --rows N";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var requests = BenchmarkArgs.Rows(args, 100_000);
        var connectionString = BenchmarkArgs.ConnectionString();
        var folder = Directory.CreateTempSubdirectory("batch-batches-");
        try
        {
            var lines = Path.Combine(folder.FullName, "requests.jsonl");
            var body = Path.Combine(folder.FullName, "body.json");
            var size = Write(lines, body, requests);
            Console.WriteLine($"generated {requests:N0} requests, {size / 1e6:F1} MB: {body}");

            // Control characters as quote and delimiter: each line goes in whole, as text.
            // \copy's time moves by half between runs on this machine (checkpoints, the page cache): the median of three.
            var copies = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                copies.Add(await UploadBenchmark.PsqlCopyAsync(connectionString, lines, "line text", "FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02'", cancellationToken));
            }
            var copySeconds = Median(copies);
            Console.WriteLine($"psql \\copy of the request lines into a plain table: median {copySeconds:F2} s ({string.Join(", ", copies.Select(c => c.ToString("F2", CultureInfo.InvariantCulture)))}), {size / 1e6 / copySeconds:F1} MB/s");

            await using var api = await BatchApiProcess.StartAsync(connectionString, cancellationToken);
            Console.WriteLine($"API process {api.ProcessId} started in {api.StartSeconds:F2} s (it warms up its create path before it listens), RSS {api.RssMegabytes():F0} MB");
            // The first create in a fresh process also pays for compiling its code; a service that has run a while does not.
            var cold = await CreateAsync(api, body, connectionString, cancellationToken);
            var warmRuns = new List<Create>();
            for (var i = 0; i < 3; i++)
            {
                warmRuns.Add(await CreateAsync(api, body, connectionString, cancellationToken));
            }
            var warm = warmRuns.OrderBy(r => r.Seconds).ElementAt(1);
            foreach (var (name, run) in new[] { ("first create in a fresh process", cold), ("median of the next three (warm)", warm) })
            {
                Console.WriteLine($"Batch create, {name} (stream-parse, validate, binary COPY of row blocks, one transaction): {run.Seconds:F2} s, {size / 1e6 / run.Seconds:F1} MB/s, {requests / run.Seconds:N0} requests/s; API CPU {run.CpuSeconds:F2} s");
                Console.WriteLine($"  ratio (\\copy time / Batch time): {copySeconds / run.Seconds:F2}x (goal >= 0.5x)");
            }
            Console.WriteLine($"API peak RSS (VmHWM): {api.PeakRssMegabytes():F0} MB (goal < 300 MB)");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private sealed record Create(double Seconds, double CpuSeconds);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>One create of the whole body, timed; the job is deleted after, so the next create starts from the same table.</summary>
    private static async Task<Create> CreateAsync(BatchApiProcess api, string body, string connectionString, CancellationToken cancellationToken)
    {
        var cpuBefore = api.CpuSeconds();
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/messages/batches", UriKind.Relative))
        {
            Content = new StreamContent(File.OpenRead(body), 1 << 20) { Headers = { ContentType = new("application/json") } },
        };
        using var response = await api.Client.SendAsync(request, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = api.CpuSeconds() - cpuBefore;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Create failed: {(int)response.StatusCode} {answer}");
        }
        var jobId = Guid.ParseExact(System.Text.Json.JsonDocument.Parse(answer).RootElement.GetProperty("id").GetString()!["msgbatch_".Length..], "N");
        await api.DeleteJobAsync($"{{\"id\": \"{jobId}\"}}", connectionString, cancellationToken);
        return new Create(seconds, cpu);
    }

    /// <summary>Writes the requests one a line (for \copy) and as one create body; returns the body's size.</summary>
    private static long Write(string linesPath, string bodyPath, int requests)
    {
        var random = new Random(42);
        var system = string.Join(' ', Enumerable.Range(0, 45).Select(i => ReviewsCsv.Words[i % ReviewsCsv.Words.Length]));
        var encoding = new UTF8Encoding(false);
        using (var lines = new StreamWriter(linesPath, false, encoding, 1 << 20))
        using (var body = new StreamWriter(bodyPath, false, encoding, 1 << 20))
        {
            body.Write("{\"requests\": [");
            var review = new StringBuilder(512);
            for (var i = 1; i <= requests; i++)
            {
                review.Clear();
                for (var w = random.Next(30, 61); w > 0; w--)
                {
                    review.Append(ReviewsCsv.Words[random.Next(ReviewsCsv.Words.Length)]).Append(' ');
                }
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{{\"custom_id\": \"r{i:D7}\", \"params\": {{\"model\": \"{(i % 2 == 0 ? "claude-sonnet-4-5" : "claude-haiku-4-5")}\", \"max_tokens\": 64, " +
                    $"\"system\": [{{\"type\": \"text\", \"text\": \"{system}\", \"cache_control\": {{\"type\": \"ephemeral\"}}}}], " +
                    $"\"messages\": [{{\"role\": \"user\", \"content\": \"Classify: {review}\"}}]}}}}");
                lines.Write(line);
                lines.Write('\n');
                body.Write(i == 1 ? "\n" : ",\n");
                body.Write(line);
            }
            body.Write("\n]}");
        }
        return new FileInfo(bodyPath).Length;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace Batch.Benchmarks;

/// <summary>
/// Uploads a generated CSV of N rows (default 1M, ~230 MB: an id, a review of 10 to 60 words, a star rating)
/// to a Batch API process and compares with <c>psql \copy</c> of the same file into a plain table, in the same
/// run. Goals: Batch at least 0.5x the speed of \copy, and the API process's peak RSS below 300 MB.
/// Usage: <c>./batch bench upload [--rows N]</c>.
/// </summary>
public sealed class UploadBenchmark : IBenchmark
{
    public string Name => "upload";

    public string Description => "CSV upload over HTTP vs psql \\copy (speed ratio, API peak RSS); --rows N, --random-ids";

    public async Task RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = BenchmarkArgs.Rows(args, 1_000_000);
        var connectionString = BenchmarkArgs.ConnectionString();
        var folder = Directory.CreateTempSubdirectory("batch-upload-");
        try
        {
            var csv = Path.Combine(folder.FullName, "reviews.csv");
            // Ids in file order skip the repeat check's hash set until the order breaks; --random-ids measures the set.
            var randomIds = args.Contains("--random-ids");
            var size = ReviewsCsv.Write(csv, rows, randomIds);
            Console.WriteLine($"generated {rows:N0} rows, {size / 1e6:F1} MB, ids {(randomIds ? "in random order" : "increasing")}: {csv}");

            // \copy's time moves by a fifth between runs on this machine (checkpoints, the page cache): the median of three.
            var copies = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                copies.Add(await PsqlCopyAsync(connectionString, csv, "id text, review text, stars int", "FORMAT csv, HEADER true", cancellationToken));
            }
            var copySeconds = copies.Order().ElementAt(1);
            Console.WriteLine($"psql \\copy into a plain table: median {copySeconds:F2} s ({string.Join(", ", copies.Select(c => c.ToString("F2", CultureInfo.InvariantCulture)))}), {size / 1e6 / copySeconds:F1} MB/s, {rows / copySeconds:N0} rows/s");

            await using var api = await BatchApiProcess.StartAsync(connectionString, cancellationToken);
            Console.WriteLine($"API process {api.ProcessId} started, RSS {api.RssMegabytes():F0} MB");
            var cpuBefore = api.CpuSeconds();
            var postgresBefore = BenchmarkEnvironment.PostgresCpuSeconds();
            var selfBefore = BenchmarkEnvironment.CpuSeconds(Environment.ProcessId);
            var started = Stopwatch.GetTimestamp();
            var (status, body) = await api.UploadAsync(csv, "text/csv", """{"name": "upload benchmark", "model": "claude-haiku-4-5", "template": "Review {{id}} ({{stars}} stars): {{review}}", "max_tokens": 16}""", cancellationToken);
            var uploadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (status != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"Upload failed: {(int)status} {body}");
            }
            Console.WriteLine($"Batch upload (parse, validate, binary COPY of row blocks, one transaction): {uploadSeconds:F2} s, {size / 1e6 / uploadSeconds:F1} MB/s, {rows / uploadSeconds:N0} rows/s");
            // The upload's connection stays in the API's pool, so its server process is still there to be read.
            Console.WriteLine($"CPU during the upload: API {api.CpuSeconds() - cpuBefore:F2} s, PostgreSQL {BenchmarkEnvironment.PostgresCpuSeconds() - postgresBefore:F2} s, " +
                $"this client {BenchmarkEnvironment.CpuSeconds(Environment.ProcessId) - selfBefore:F2} s ({Environment.ProcessorCount} cores)");
            Console.WriteLine($"ratio (\\copy time / Batch time): {copySeconds / uploadSeconds:F2}x (goal >= 0.5x)");
            Console.WriteLine($"API peak RSS (VmHWM): {api.PeakRssMegabytes():F0} MB (goal < 300 MB)");

            await api.DeleteJobAsync(body, connectionString, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Seconds <c>psql \copy</c> takes to load <paramref name="file"/> into a new plain table of <paramref name="columns"/>.</summary>
    internal static async Task<double> PsqlCopyAsync(string connectionString, string file, string columns, string copyOptions, CancellationToken cancellationToken)
    {
        var table = $"public.bench_copy_{Environment.ProcessId}";
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var create = dataSource.CreateCommand($"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({columns})"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo("psql", ["-v", "ON_ERROR_STOP=1", "-q", "-c", $"\\copy {table} FROM '{file}' WITH ({copyOptions})"])
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            };
            start.Environment["PGHOST"] = builder.Host;
            start.Environment["PGPORT"] = builder.Port.ToString(CultureInfo.InvariantCulture);
            start.Environment["PGUSER"] = builder.Username;
            start.Environment["PGPASSWORD"] = builder.Password;
            start.Environment["PGDATABASE"] = builder.Database;
            var started = Stopwatch.GetTimestamp();
            using var psql = Process.Start(start)!;
            var errors = await psql.StandardError.ReadToEndAsync(cancellationToken);
            await psql.WaitForExitAsync(cancellationToken);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (psql.ExitCode != 0)
            {
                throw new InvalidOperationException($"psql failed: {errors}");
            }
            return seconds;
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"DROP TABLE IF EXISTS {table}");
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}

/// <summary>The benchmark's input: deterministic product reviews of 10 to 60 words.</summary>
internal static class ReviewsCsv
{
    internal static readonly string[] Words =
    [
        "the", "battery", "lasts", "two", "days", "and", "screen", "is", "bright", "even", "outdoors", "stopped", "charging", "after", "a", "week",
        "support", "never", "answered", "my", "emails", "does", "what", "it", "says", "strap", "feels", "cheap", "though", "great", "value", "for",
        "price", "setup", "took", "five", "minutes", "sound", "quality", "surprisingly", "good", "shipping", "was", "slow", "box", "arrived",
        "damaged", "works", "perfectly", "with", "phone", "app", "crashes", "often", "would", "buy", "again", "not", "recommend", "excellent",
    ];

    /// <param name="randomIds">Ids in no order (a bijection of the row number), instead of r0000001, r0000002, ...</param>
    public static long Write(string path, int rows, bool randomIds = false)
    {
        var random = new Random(42);
        using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 20))
        {
            writer.Write("id,review,stars\n");
            var review = new StringBuilder(512);
            for (var i = 1; i <= rows; i++)
            {
                review.Clear();
                var count = random.Next(10, 61);
                for (var w = 0; w < count; w++)
                {
                    if (w > 0)
                    {
                        review.Append(w % 9 == 0 ? ", " : " ");
                    }
                    review.Append(Words[random.Next(Words.Length)]);
                }
                writer.Write('r');
                writer.Write(randomIds ? unchecked((uint)i * 2654435761u).ToString("x8", CultureInfo.InvariantCulture) : i.ToString("D7", CultureInfo.InvariantCulture));
                writer.Write(",\"");
                writer.Write(review);
                writer.Write(".\",");
                writer.Write((char)('1' + random.Next(5)));
                writer.Write('\n');
            }
        }
        return new FileInfo(path).Length;
    }
}

internal static class BenchmarkArgs
{
    public static int Rows(string[] args, int defaultRows)
    {
        var at = Array.IndexOf(args, "--rows");
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : defaultRows;
    }

    public static string ConnectionString() =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Batch")
        ?? throw new InvalidOperationException("Set ConnectionStrings__Batch (./batch bench does).");
}

/// <summary>
/// The API as users run it: <c>dotnet Batch.Api.dll</c> (Release) in a process of its own, so its peak RSS
/// (VmHWM in /proc) is the API's alone.
/// </summary>
internal sealed class BatchApiProcess : IAsyncDisposable
{
    public const string AdminKey = "bench-admin-key";

    private readonly Process _process;

    private BatchApiProcess(Process process, Uri baseUrl)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(30) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    /// <summary>Seconds from the process's start until it answered <c>/api/health</c> (migrations and the warm-up included).</summary>
    public double StartSeconds { get; private set; }

    /// <param name="settings">Configuration keys as environment variables (e.g. <c>Anthropic__BaseUrl</c>).</param>
    public static async Task<BatchApiProcess> StartAsync(string connectionString, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = Path.Combine(BenchmarkEnvironment.RepositoryRoot(), "src", "Batch.Api", "bin", "Release", "net10.0", "Batch.Api.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build the API in Release first (dotnet build -c Release src/Batch.Api).", dll);
        }
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__Batch"] = connectionString;
        start.Environment["Batch__AdminApiKey"] = AdminKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[api] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var launched = Stopwatch.GetTimestamp();
        var api = new BatchApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                using var health = await api.Client.GetAsync(new Uri("/api/health", UriKind.Relative), timeout.Token);
                if (health.IsSuccessStatusCode)
                {
                    api.StartSeconds = Stopwatch.GetElapsedTime(launched).TotalSeconds;
                    return api;
                }
            }
            catch (HttpRequestException) when (!process.HasExited)
            {
                // Not listening yet: it migrates the database first.
            }
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The API exited with {process.ExitCode}.");
            }
            await Task.Delay(200, timeout.Token);
        }
    }

    /// <param name="route"><c>/api/jobs</c>, or <c>/api/jobs/estimate</c> for the same upload estimated.</param>
    public async Task<(HttpStatusCode Status, string Body)> UploadAsync(string path, string contentType, string spec, CancellationToken cancellationToken, string route = "/api/jobs")
    {
        await using var file = File.OpenRead(path);
        using var form = new MultipartFormDataContent { { new StringContent(spec, Encoding.UTF8, "application/json"), "spec" } };
        var part = new StreamContent(file, 1 << 16);
        part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(part, "file", Path.GetFileName(path));
        using var response = await Client.PostAsync(new Uri(route, UriKind.Relative), form, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public async Task DeleteJobAsync(string createdBody, string connectionString, CancellationToken cancellationToken)
    {
        var id = System.Text.Json.JsonDocument.Parse(createdBody).RootElement.GetProperty("id").GetGuid();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var delete = dataSource.CreateCommand($"DELETE FROM batch.jobs WHERE id = '{id}'");
        delete.CommandTimeout = 600;
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    public double RssMegabytes() => Status("VmRSS:");

    public double CpuSeconds() => BenchmarkEnvironment.CpuSeconds(_process.Id);

    public double PeakRssMegabytes() => Status("VmHWM:");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private double Status(string field) => BenchmarkEnvironment.MemoryMegabytes(_process.Id, field);

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

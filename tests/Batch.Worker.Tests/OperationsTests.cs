using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Batch.Data.Entities;
using Batch.Testing;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>What an operator sees of real worker (and API) processes: metrics, probes, logs.</summary>
public partial class OperationsTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task The_worker_serves_metrics_with_the_figures_of_a_small_job_and_anonymous_probes()
    {
        await using var simulator = await StartSimulatorAsync();
        var port = DotnetProcess.FreePort();
        using var worker = WorkerProcess.Start(database.ConnectionString, Settings(database, simulator, new() { ["Batch:Worker:MetricsPort"] = $"{port}" }));
        await worker.WaitStartedAsync();
        var jobId = await CreateTemplateJobAsync(database, 5, systemPrompt: null);
        EnqueueStart(database, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        foreach (var probe in new[] { "/healthz", "/readyz" })
        {
            using var answer = await http.GetAsync(new Uri(probe, UriKind.Relative));
            Assert.Equal((HttpStatusCode.OK, "Healthy"), (answer.StatusCode, await answer.Content.ReadAsStringAsync()));
            Assert.False(answer.Headers.Contains("Server"));
        }
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(5, Value(metrics, "batch_rows_recorded_total", "batch_row_status=\"succeeded\""));
        Assert.Equal(5, Value(metrics, "batch_messages_requests_total", "http_response_status_code=\"200\""));
        Assert.Equal(job.Counters.OutputTokens, Value(metrics, "batch_tokens_total", "batch_token_kind=\"output\""));
        Assert.Equal(job.Counters.InputTokens, Value(metrics, "batch_tokens_total", "batch_token_kind=\"input\""));
        Assert.Equal((double)job.Counters.CostUsd, Value(metrics, "batch_cost_USD_total", ""), 6);
        Assert.Equal(5, Value(metrics, "batch_budget_wait_seconds_count", ""));
        Assert.Equal(0, Value(metrics, "batch_messages_in_flight", ""));
        // The platform's own instruments: HttpClient, Npgsql, ASP.NET Core (the probes above), the runtime.
        foreach (var prefix in new[] { "http_client_request_duration_seconds_bucket", "db_client_", "http_server_request_duration_seconds_bucket", "dotnet_gc_" })
        {
            Assert.True(metrics.Split('\n').Any(line => line.StartsWith(prefix, StringComparison.Ordinal)), $"no {prefix}* in\n{metrics}");
        }
        await worker.StopAsync();
    }

    [Fact]
    public async Task The_worker_log_of_a_500_row_job_stays_under_50_lines_at_the_default_level()
    {
        await using var simulator = await StartSimulatorAsync();
        // The shipped levels (appsettings.json): Hangfire at Information too.
        using var worker = WorkerProcess.Start(database.ConnectionString, Settings(database, simulator, new() { ["Logging:LogLevel:Hangfire"] = "Information" }));
        await worker.WaitStartedAsync();
        var jobId = await CreateTemplateJobAsync(database, 500, systemPrompt: null, blockRows: 100);
        var before = worker.Output.Count();

        EnqueueStart(database, jobId);
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        await WaitUntilAsync(() => Task.FromResult(worker.Output.Any(line => line.Contains("' completed: 500 succeeded", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), () => $"the completion line in\n{string.Join('\n', worker.Output)}");

        var during = worker.Output.Skip(before).ToList();
        var shown = string.Join('\n', during);
        Assert.True(during.Count < 50, $"{during.Count} lines:\n{shown}");
        Assert.Single(during, line => line.Contains("' running: 500 rows pending", StringComparison.Ordinal));
        Assert.Contains(during, line => line.Contains("USD, in", StringComparison.Ordinal));
        Assert.DoesNotContain(during, line => line.Contains("HTTP request", StringComparison.OrdinalIgnoreCase));
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_provider_key_never_appears_in_any_log_line_of_the_api_or_the_worker_at_debug()
    {
        var key = $"sk-ant-api03-LEAKCHECK-{Guid.NewGuid():N}";
        await using var simulator = await StartSimulatorAsync(o => o.ApiKey = key);
        var settings = Settings(database, simulator);
        foreach (var category in new[] { "Default", "Microsoft", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Hangfire", "System.Net.Http.HttpClient", "Npgsql" })
        {
            settings[$"Logging:LogLevel:{category}"] = "Debug";
        }
        settings["Anthropic:ApiKey"] = key;
        var apiPort = DotnetProcess.FreePort();
        using var api = DotnetProcess.Start("Batch.Api", new Dictionary<string, string?>(settings) { ["Batch:AdminApiKey"] = TestHosts.AdminKey }, "--urls", $"http://127.0.0.1:{apiPort}");
        await api.WaitStartedAsync();
        using var worker = WorkerProcess.Start(database.ConnectionString, settings);
        await worker.WaitStartedAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestHosts.AdminKey);
        const string spec = """{"model": "claude-sonnet-4-5", "template": "Say {{text}}", "max_tokens": 16}""";

        // The API sends the key for estimates (count_tokens); the worker for every row.
        using (var estimate = await client.PostAsync(new Uri("/api/jobs/estimate", UriKind.Relative), Form(spec)))
        {
            var text = await estimate.Content.ReadAsStringAsync();
            Assert.True(estimate.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("count_tokens", JsonDocument.Parse(text).RootElement.GetProperty("token_counting").GetString());
        }
        Guid jobId;
        using (var created = await client.PostAsync(new Uri("/api/jobs", UriKind.Relative), Form(spec)))
        {
            jobId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        }
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        await Task.WhenAll(api.StopAsync(), worker.StopAsync());

        var lines = api.Output.Concat(worker.Output).ToList();
        Assert.Contains(worker.Output, line => line.Contains("dbug:", StringComparison.Ordinal));
        Assert.Contains(api.Output, line => line.Contains("dbug:", StringComparison.Ordinal));
        Assert.True(lines.Count > 100, $"only {lines.Count} lines: is Debug on?");
        Assert.DoesNotContain(lines, line => line.Contains(key, StringComparison.Ordinal) || line.Contains(key[^16..], StringComparison.Ordinal));
    }

    private static MultipartFormDataContent Form(string spec) => new()
    {
        { new StringContent(spec, Encoding.UTF8, "application/json"), "spec" },
        { new ByteArrayContent("text\nhello\nworld\n"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } }, "file", "rows.csv" },
    };

    /// <summary>The sum of a Prometheus metric's samples whose labels contain <paramref name="label"/>.</summary>
    private static double Value(string metrics, string name, string label)
    {
        var samples = metrics.Split('\n').Select(line => Sample().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(samples.Count > 0, $"no {name}{{{label}}} in\n{metrics}");
        return samples.Sum();
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>[-+0-9.eE]+|NaN)( \d+)?$")]
    private static partial Regex Sample();
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Job webhooks end to end: API, worker, and a receiver on loopback that checks the signature.</summary>
public class WebhookTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Secret = "whsec-test-0123456789";

    [Fact]
    public async Task A_completed_job_posts_a_signed_webhook_that_is_retried_after_a_500()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 1);
        await using var simulator = await StartSimulatorAsync();
        var settings = Settings(database, simulator, WebhookSettings(allowPrivate: true));
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        using var client = await api.CreateProjectClientAsync("hooks");
        // The project's default webhook, set through the API.
        using (var patched = await client.PatchAsJsonAsync(new Uri("/api/projects/hooks", UriKind.Relative), new { webhook_url = receiver.Url }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        var jobId = await UploadAsync(client, """{"model": "claude-sonnet-4-5", "template": "Say {{text}}", "max_tokens": 16}""");
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        await WaitUntilAsync(() => Task.FromResult(receiver.Received.Count >= 2), TimeSpan.FromSeconds(60), () => $"{receiver.Received.Count} webhook attempts");

        var (first, second) = (receiver.Received.First(), receiver.Received.Last());
        Assert.Equal((500, 200), (first.Answered, second.Answered));
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Id, second.Id);
        Assert.All(receiver.Received, attempt => Assert.True(SignatureHolds(attempt.Signature, attempt.Body), attempt.Signature));
        using var body = JsonDocument.Parse(second.Body);
        var job = body.RootElement.GetProperty("job");
        Assert.Equal("job.completed", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(second.Id, body.RootElement.GetProperty("id").GetString());
        Assert.Equal(jobId, job.GetProperty("id").GetGuid());
        Assert.Equal(2, job.GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.True(job.GetProperty("tokens").GetProperty("output").GetInt64() > 0);
        Assert.Equal($"/api/jobs/{jobId}/results", job.GetProperty("links").GetProperty("results").GetString());
        await WaitUntilAsync(async () => (await ReadJobAsync(database, jobId)).WebhookLastStatus == 200, TimeSpan.FromSeconds(10), () => "the delivery recorded");
        var recorded = await ReadJobAsync(database, jobId);
        Assert.Equal((2, (int?)200, (string?)null), (recorded.WebhookAttempts, recorded.WebhookLastStatus, recorded.WebhookLastError));
        using var status = await client.GetFromJsonAsync<JsonDocument>(new Uri($"/api/jobs/{jobId}", UriKind.Relative));
        Assert.Equal(2, status!.RootElement.GetProperty("webhook").GetProperty("attempts").GetInt32());
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM batch.job_webhook_events WHERE job_id = $1", jobId));
    }

    [Fact]
    public async Task An_expired_job_posts_one_webhook_with_its_expired_rows_counted()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 0);
        await using var simulator = await StartSimulatorAsync();
        // Never started: its rows stay pending until a worker's sweep finds the job past its time.
        var jobId = await CreateTemplateJobAsync(database, rows: 30, systemPrompt: null, configure: job =>
        {
            job.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1);
            job.WebhookUrl = receiver.Url;
        });
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator, WebhookSettings(allowPrivate: true)));

        await WaitForStatusAsync(database, jobId, JobStatus.Expired);
        await WaitUntilAsync(async () => (await ReadJobAsync(database, jobId)).WebhookLastStatus == 200, TimeSpan.FromSeconds(30), () => "the delivery recorded");

        var (body, signature, id, answered) = Assert.Single(receiver.Received);
        Assert.Equal(200, answered);
        Assert.True(SignatureHolds(signature, body), signature);
        using var document = JsonDocument.Parse(body);
        Assert.Equal("job.expired", document.RootElement.GetProperty("type").GetString());
        Assert.Equal(id, document.RootElement.GetProperty("id").GetString());
        var job = document.RootElement.GetProperty("job");
        Assert.Equal("expired", job.GetProperty("status").GetString());
        Assert.StartsWith("Expired at ", job.GetProperty("status_reason").GetString(), StringComparison.Ordinal);
        var counts = job.GetProperty("counts");
        Assert.Equal((0, 0, 0, 30), (counts.GetProperty("succeeded").GetInt32(), counts.GetProperty("failed").GetInt32(),
            counts.GetProperty("canceled").GetInt32(), counts.GetProperty("expired").GetInt32()));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM batch.job_webhook_events WHERE job_id = $1", jobId));
        Assert.Equal(0L, await ScalarAsync(database, $"SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status <> {(short)RowStatus.Expired}", jobId));
    }

    [Fact]
    public async Task Private_addresses_are_refused_in_the_spec_and_when_a_name_resolves_to_one()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 0);
        await using var simulator = await StartSimulatorAsync();
        var settings = Settings(database, simulator, WebhookSettings(allowPrivate: false));
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        using var client = api.CreateClient();

        foreach (var refused in new[] { "ftp://example.com/hook", "http://127.0.0.1/hook", "http://[::1]/hook", "http://169.254.169.254/latest", "http://10.1.2.3/x" })
        {
            using var answer = await Uploads(client, $$$"""{"model": "claude-sonnet-4-5", "template": "Say {{text}}", "max_tokens": 16, "webhook_url": "{{{refused}}}"}""");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
            Assert.Contains("spec.webhook_url", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // A URL stored before the check, or a name whose address changed since: the worker refuses the addresses it would
        // connect to. localhost resolves to loopback addresses only.
        await using (var db = database.CreateContext())
        {
            db.ProjectSettings.Add(new ProjectSetting
            {
                Project = "dns", WebhookUrl = receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        using var project = await api.CreateProjectClientAsync("dns");
        var jobId = await UploadAsync(project, """{"model": "claude-sonnet-4-5", "template": "Say {{text}}", "max_tokens": 16}""");
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        await WaitUntilAsync(async () => (await ReadJobAsync(database, jobId)).WebhookAttempts >= 1, TimeSpan.FromSeconds(30), () => "a delivery attempt");

        var job = await ReadJobAsync(database, jobId);
        Assert.Empty(receiver.Received);
        Assert.Null(job.WebhookLastStatus);
        Assert.Contains("resolves only to private, loopback or link-local addresses", job.WebhookLastError, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> WebhookSettings(bool allowPrivate) => new()
    {
        ["Batch:Webhooks:SigningSecret"] = Secret,
        ["Batch:Webhooks:AllowPrivateNetworks"] = allowPrivate ? "true" : "false",
        ["Batch:Webhooks:FirstRetryDelay"] = "00:00:01",
        ["Batch:Worker:SchedulePollingInterval"] = "00:00:01",
    };

    private static bool SignatureHolds(string header, string body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{parts["t"]}.{body}"));
        return long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds()
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(parts["v1"]), expected);
    }

    private static async Task<HttpResponseMessage> Uploads(HttpClient client, string spec)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(spec, Encoding.UTF8, "application/json"), "spec" },
            { new ByteArrayContent("text\nhello\nworld\n"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } }, "file", "rows.csv" },
        };
        return await client.PostAsync(new Uri("/api/jobs", UriKind.Relative), form);
    }

    private static async Task<Guid> UploadAsync(HttpClient client, string spec)
    {
        using var answer = await Uploads(client, spec);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>A webhook receiver on loopback: answers 500 to the first attempts, then 200, and keeps what it got.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Receiver(WebApplication app, string url) => (_app, Url) = (app, url);

        public string Url { get; }

        public ConcurrentQueue<(string Body, string Signature, string Id, int Answered)> Received { get; } = new();

        public static async Task<Receiver> StartAsync(int failFirst)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            Receiver? receiver = null;
            app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                var answer = receiver!.Received.Count < failFirst ? 500 : 200;
                receiver.Received.Enqueue((body, request.Headers["Batch-Signature"].ToString(), request.Headers["Batch-Webhook-Id"].ToString(), answer));
                return Results.StatusCode(answer);
            });
            await app.StartAsync();
            receiver = new Receiver(app, app.Urls.First() + "/hook");
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}

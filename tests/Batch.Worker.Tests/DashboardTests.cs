using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Testing;
using Hangfire;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>The Hangfire dashboard as a deployment serves it: from the API's own process, which ships without Batch.Worker.</summary>
public class DashboardTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public void Every_hangfire_job_method_lives_in_batch_jobs_and_has_a_display_name()
    {
        var jobInterfaces = typeof(BatchQueues).Assembly.GetTypes().Where(t => t.IsInterface).ToList();
        var workerInterfaces = typeof(BatchWorkerHost).Assembly.GetTypes().Where(t => t.IsInterface && t.IsPublic).ToList();

        Assert.Equal(["IHealthProbe", "IJobRunner", "IProviderBatchRunner", "IRetentionRunner", "IRowChunkRunner", "IScheduleRunner", "IWebhookSender"], jobInterfaces.Select(t => t.Name).Order());
        Assert.Empty(workerInterfaces);
        Assert.All(jobInterfaces.SelectMany(t => t.GetMethods()), method =>
            Assert.False(string.IsNullOrEmpty(method.GetCustomAttribute<JobDisplayNameAttribute>()?.DisplayName), $"{method.DeclaringType!.Name}.{method.Name}"));
    }

    [Fact]
    public async Task The_api_process_shows_every_job_by_the_batch_it_serves()
    {
        Assert.False(File.Exists(Path.Combine(DotnetProcess.BuildOutput("Batch.Api"), "Batch.Worker.dll")), "the API's build output must not carry the worker");
        await using var simulator = await StartSimulatorAsync();
        // Both processes write the default account from their configuration at start, so both get the simulator's.
        var settings = Settings(database, simulator);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        var url = $"http://127.0.0.1:{FreePort()}";
        using var api = DotnetProcess.Start("Batch.Api", new Dictionary<string, string?>(settings) { ["Batch:AdminApiKey"] = TestHosts.AdminKey }, "--urls", url);
        await api.WaitStartedAsync();
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestHosts.AdminKey);

        var jobId = await UploadAsync(client, "Nightly reviews");
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        using var schedule = await client.PostAsJsonAsync("/api/schedules", new { name = "Nightly reviews", cron = "0 6 * * 1-5", source_job_id = jobId });
        var scheduleId = (await schedule.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var run = await client.PostAsync(new Uri($"/api/schedules/{scheduleId}/run", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        Guid? copy = null;
        await WaitUntilAsync(async () => (copy = await LastJobAsync(client, scheduleId)) is { } id && (await ReadJobAsync(database, id)).Status == JobStatus.Completed,
            TimeSpan.FromSeconds(60), () => $"the schedule's job {copy} to complete");
        using var probe = await client.PostAsync(new Uri("/api/health/worker-probe", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);

        var copyName = (await ReadJobAsync(database, copy!.Value)).Name;
        string[] names =
        [
            "Start 'Nightly reviews'", "Rows of 'Nightly reviews' (chunk 1)", "Schedule 'Nightly reviews'",
            $"Start '{copyName}'", $"Rows of '{copyName}' (chunk 1)", "Worker probe",
        ];
        // A chunk's Hangfire job turns succeeded a moment after it completes its job: wait for the list to show them all.
        var succeeded = "";
        await WaitUntilAsync(async () =>
            {
                succeeded = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/hangfire/jobs/succeeded?count=100", UriKind.Relative)));
                return names.All(name => succeeded.Contains(name, StringComparison.Ordinal));
            },
            TimeSpan.FromSeconds(30), () => $"the dashboard to list {string.Join(", ", names.Where(n => !succeeded.Contains(n, StringComparison.Ordinal)))}");
        var recurring = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/hangfire/recurring", UriKind.Relative)));

        Assert.Contains("Schedule 'Nightly reviews'", recurring, StringComparison.Ordinal);
        Assert.DoesNotContain("Can not find the target method", succeeded + recurring, StringComparison.Ordinal);
        await api.StopAsync();
        await worker.StopAsync();
    }

    private static async Task<Guid> UploadAsync(HttpClient client, string name)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent($$$"""{"name": "{{{name}}}", "model": "{{{Model}}}", "template": "Classify: {{text}}", "max_tokens": 16}"""), "spec" },
            { new StringContent("text\n" + string.Concat(Enumerable.Range(1, 30).Select(i => $"review {i}\n"))), "file", "reviews.csv" },
        };
        using var created = await client.PostAsync(new Uri("/api/jobs", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<Guid?> LastJobAsync(HttpClient client, Guid scheduleId)
    {
        var schedule = await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/schedules/{scheduleId}", UriKind.Relative));
        return schedule.GetProperty("last_job_id") is { ValueKind: JsonValueKind.String } id ? id.GetGuid() : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

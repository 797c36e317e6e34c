using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Api;
using Batch.Data;
using Batch.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Batch.Testing;

/// <summary>Starts the real API (on Kestrel, a free loopback port) and worker hosts against a test database.</summary>
public static class TestHosts
{
    public const string AdminKey = "test-admin-key";

    public static async Task<RunningApi> StartApiAsync(string connectionString, IDictionary<string, string?>? settings = null)
    {
        var app = BatchApiApplication.Create([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(BaseSettings(connectionString, settings));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.MigrateBatchDatabaseAsync();
        await app.StartAsync();
        return new RunningApi(app, new Uri(app.Urls.First()));
    }

    public static async Task<IHost> StartWorkerAsync(string connectionString, IDictionary<string, string?>? settings = null)
    {
        var host = BatchWorkerHost.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(BaseSettings(connectionString, settings));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await host.MigrateBatchDatabaseAsync();
        await host.StartAsync();
        return host;
    }

    private static Dictionary<string, string?> BaseSettings(string connectionString, IDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Batch"] = connectionString,
            ["Batch:AdminApiKey"] = AdminKey,
            // Test classes run side by side: a worker listens for metrics only where a test asks for a port.
            ["Batch:Worker:MetricsPort"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return all;
    }
}

/// <summary>An API host started for a test, with clients that send a given key.</summary>
public sealed class RunningApi(WebApplication app, Uri baseUrl) : IAsyncDisposable
{
    public Uri BaseUrl { get; } = baseUrl;

    public IServiceProvider Services => app.Services;

    public HttpClient CreateClient(string? bearerKey = TestHosts.AdminKey)
    {
        var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(2) };
        if (bearerKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerKey);
        }
        return client;
    }

    /// <summary>A client with a key of its own project, made through the API with the admin key.</summary>
    public async Task<HttpClient> CreateProjectClientAsync(string project)
    {
        using var admin = CreateClient();
        using var created = await admin.PostAsJsonAsync(new Uri("/api/keys", UriKind.Relative), new { project, name = $"{project} tests" });
        created.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return CreateClient(body.RootElement.GetProperty("key").GetString());
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

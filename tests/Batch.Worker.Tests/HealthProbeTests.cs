using System.Net;
using System.Net.Http.Json;
using Batch.Testing;

namespace Batch.Worker.Tests;

public class HealthProbeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_probe_enqueued_by_the_api_is_run_by_a_worker()
    {
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString);
        using var client = api.CreateClient();

        using (var withoutWorker = await client.PostAsync(new Uri("/api/health/worker-probe?timeoutSeconds=1", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, withoutWorker.StatusCode);
        }

        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString);
        using var response = await client.PostAsync(new Uri("/api/health/worker-probe?timeoutSeconds=30", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var probe = await response.Content.ReadFromJsonAsync<ProbeBody>(TestJson.Options);
        Assert.Equal("Succeeded", probe!.State);
        await worker.StopAsync();
    }

    private sealed record ProbeBody(string HangfireJobId, string State);
}

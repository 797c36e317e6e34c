using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Testing;

namespace Batch.Api.Tests;

/// <summary>The API's /metrics (who may read it, the pending-rows gauge) and the project settings.</summary>
public class OperationsApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Metrics_need_no_key_from_loopback_and_show_the_pending_rows_of_a_queued_job()
    {
        using var client = fixture.Api.CreateClient();
        using var anonymous = fixture.Api.CreateClient(bearerKey: null);
        var jobId = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, "text\na\nb\nc\n", "three.csv");

        var metrics = await anonymous.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith("batch_job_pending_rows{", StringComparison.Ordinal) && l.Contains($"batch_job_id=\"{jobId}\"", StringComparison.Ordinal));
        Assert.True(line is not null, metrics);
        Assert.Equal("3", line[(line.IndexOf('}', StringComparison.Ordinal) + 2)..].Split(' ')[0]);
    }

    [Fact]
    public async Task Metrics_answer_404_to_an_address_outside_the_allowed_networks()
    {
        await using var api = await TestHosts.StartApiAsync(fixture.Database.ConnectionString, new Dictionary<string, string?> { ["Batch:Metrics:AllowedNetworks"] = "10.0.0.0/8" });
        using var anonymous = api.CreateClient(bearerKey: null);
        using var admin = api.CreateClient();

        using var refused = await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var refusedWithKey = await admin.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (refused.StatusCode, refusedWithKey.StatusCode));
        Assert.DoesNotContain("# TYPE", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_project_sets_its_own_webhook_and_retention_and_no_other()
    {
        using var ours = await fixture.Api.CreateProjectClientAsync("alpha");

        using var set = await ours.PatchAsJsonAsync(new Uri("/api/projects/alpha", UriKind.Relative), new { webhook_url = "https://hooks.example.com/batch", retention_days = 90 });
        using var other = await ours.PatchAsJsonAsync(new Uri("/api/projects/beta", UriKind.Relative), new { retention_days = 90 });
        using var badUrl = await ours.PatchAsJsonAsync(new Uri("/api/projects/alpha", UriKind.Relative), new { webhook_url = "http://192.168.1.10/hook" });
        using var badDays = await ours.PatchAsJsonAsync(new Uri("/api/projects/alpha", UriKind.Relative), new { retention_days = 0 });
        using var cleared = await ours.PatchAsJsonAsync(new Uri("/api/projects/alpha", UriKind.Relative), new { retention_days = (int?)null });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity), (badUrl.StatusCode, badDays.StatusCode));
        using var body = JsonDocument.Parse(await cleared.Content.ReadAsStringAsync());
        Assert.Equal("https://hooks.example.com/batch", body.RootElement.GetProperty("webhook_url").GetString());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("retention_days").ValueKind);
        Assert.Equal(29, body.RootElement.GetProperty("effective_retention_days").GetInt32());
    }
}

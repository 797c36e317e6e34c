using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Testing;

namespace Batch.Api.Tests;

/// <summary>Keys made through the API: each sees its own project's jobs; an admin sees all; other projects' job ids are 404.</summary>
public class AccessTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_project_key_sees_only_its_projects_jobs_and_others_get_404()
    {
        using var admin = fixture.Api.CreateClient();
        using var teamA = fixture.Api.CreateClient(await CreateKeyAsync(admin, "team-a"));
        using var teamB = fixture.Api.CreateClient(await CreateKeyAsync(admin, "team-b"));
        var jobA = await Uploads.CreateJobAsync(teamA, Uploads.TemplateSpec, Uploads.Csv(2));
        var jobB = await Uploads.CreateJobAsync(teamB, Uploads.TemplateSpec, Uploads.Csv(2));

        foreach (var (method, path) in new[] { ("GET", ""), ("GET", "/results"), ("POST", "/cancel"), ("POST", "/pause"), ("POST", "/resume"), ("POST", "/retry-failed"), ("DELETE", "") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri($"/api/jobs/{jobA}{path}", UriKind.Relative));
            using var response = await teamB.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {response.StatusCode}");
        }

        Assert.Equal([jobA], await ListAsync(teamA));
        Assert.Equal([jobB], await ListAsync(teamB));
        var all = await ListAsync(admin);
        Assert.Contains(jobA, all);
        Assert.Contains(jobB, all);
        using var ownJob = await teamA.GetAsync(new Uri($"/api/jobs/{jobA}", UriKind.Relative));
        Assert.Equal("team-a", (await Uploads.JsonAsync(ownJob)).GetProperty("project").GetString());
    }

    [Fact]
    public async Task Keys_are_listed_without_secrets_only_admins_manage_them_and_a_revoked_key_stops_working()
    {
        using var admin = fixture.Api.CreateClient();
        using var created = await admin.PostAsJsonAsync(new Uri("/api/keys", UriKind.Relative), new { project = "team-c", name = "ci" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await Uploads.JsonAsync(created);
        var key = body.GetProperty("key").GetString()!;
        var keyId = body.GetProperty("id").GetGuid();
        Assert.StartsWith(body.GetProperty("prefix").GetString()!, key, StringComparison.Ordinal);

        var listed = await admin.GetStringAsync(new Uri("/api/keys", UriKind.Relative));
        Assert.Contains(keyId.ToString(), listed, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", listed, StringComparison.OrdinalIgnoreCase);

        using var project = fixture.Api.CreateClient(key);
        using (var forbidden = await project.GetAsync(new Uri("/api/keys", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        using (var allowed = await project.GetAsync(new Uri("/api/jobs", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using (var revoked = await admin.DeleteAsync(new Uri($"/api/keys/{keyId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            Assert.Equal(JsonValueKind.String, (await Uploads.JsonAsync(revoked)).GetProperty("revoked_at").ValueKind);
        }
        using var after = await project.GetAsync(new Uri("/api/jobs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Theory]
    [InlineData("/api/jobs")]
    [InlineData("/api/keys")]
    [InlineData("/api/prices")]
    [InlineData("/api/accounts")]
    public async Task Every_new_endpoint_needs_a_key(string path)
    {
        using var anonymous = fixture.Api.CreateClient(bearerKey: null);

        using var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_bad_project_name_is_refused()
    {
        using var admin = fixture.Api.CreateClient();

        using var response = await admin.PostAsJsonAsync(new Uri("/api/keys", UriKind.Relative), new { project = "Team A!", name = "x" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("project", (await Uploads.JsonAsync(response)).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin, string project)
    {
        using var response = await admin.PostAsJsonAsync(new Uri("/api/keys", UriKind.Relative), new { project, name = "test" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Uploads.JsonAsync(response)).GetProperty("key").GetString()!;
    }

    private static async Task<List<Guid>> ListAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/jobs?limit=1000", UriKind.Relative), TestJson.Options);
        return page.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
    }
}

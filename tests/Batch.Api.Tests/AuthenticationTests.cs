using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Batch.Api.Authentication;
using Batch.Data.Entities;
using Batch.Testing;

namespace Batch.Api.Tests;

public class AuthenticationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("/api/health")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs")]
    [InlineData("/hangfire")]
    public async Task Every_endpoint_answers_401_with_a_challenge_without_a_key(string path)
    {
        using var client = fixture.Api.CreateClient(bearerKey: null);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
    }

    [Fact]
    public async Task A_wrong_key_is_refused()
    {
        using var client = fixture.Api.CreateClient("bk_not-a-key");

        using var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_admin_key_reaches_the_api()
    {
        using var client = fixture.Api.CreateClient();

        var health = await client.GetFromJsonAsync<HealthBody>(new Uri("/api/health", UriKind.Relative), TestJson.Options);

        Assert.True(health!.Database);
    }

    [Fact]
    public async Task The_dashboard_opens_for_an_admin_with_basic_auth_and_never_shows_the_connection_string()
    {
        using var client = fixture.Api.CreateClient(bearerKey: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{TestHosts.AdminKey}")));

        var html = await client.GetStringAsync(new Uri("/hangfire", UriKind.Relative));

        Assert.Contains("Batch", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(fixture.Database.ConnectionString.Split(';')[0], html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_dashboard_is_forbidden_to_a_project_key_and_a_revoked_key_stops_working()
    {
        var key = ApiKeyHasher.NewKey();
        var stored = new ApiKey { Id = Guid.NewGuid(), Project = "team-a", Name = "ci", KeyHash = ApiKeyHasher.Hash(key), Prefix = ApiKeyHasher.DisplayPrefix(key) };
        await using (var db = fixture.Database.CreateContext())
        {
            db.ApiKeys.Add(stored);
            await db.SaveChangesAsync();
        }
        using var client = fixture.Api.CreateClient(key);

        using (var health = await client.GetAsync(new Uri("/api/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (var dashboard = await client.GetAsync(new Uri("/hangfire", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, dashboard.StatusCode);
        }

        await using (var db = fixture.Database.CreateContext())
        {
            db.ApiKeys.Attach(stored);
            stored.RevokedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync();
        }
        using var revoked = await client.GetAsync(new Uri("/api/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
    }

    private sealed record HealthBody(bool Database, int HangfireServers);
}

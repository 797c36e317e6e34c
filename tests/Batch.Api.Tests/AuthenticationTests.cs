using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Batch.Api.Authentication;
using Batch.Data.Entities;
using Batch.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
    public async Task A_wrong_key_is_refused_with_other_words_than_a_missing_one()
    {
        using var wrong = fixture.Api.CreateClient("bk_not-a-key");
        using var none = fixture.Api.CreateClient(bearerKey: null);
        using var wrongBasic = fixture.Api.CreateClient(bearerKey: null);
        wrongBasic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("me:bk_typo")));

        using var wrongAnswer = await wrong.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var noneAnswer = await none.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var wrongBasicAnswer = await wrongBasic.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.All([wrongAnswer, noneAnswer, wrongBasicAnswer], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        var (wrongProblem, noneProblem, wrongBasicProblem) = (await Uploads.JsonAsync(wrongAnswer), await Uploads.JsonAsync(noneAnswer), await Uploads.JsonAsync(wrongBasicAnswer));
        Assert.Equal("Invalid API key", wrongProblem.GetProperty("title").GetString());
        Assert.Contains("not valid or has been revoked", wrongProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("Invalid API key", wrongBasicProblem.GetProperty("title").GetString());
        Assert.Equal("Authentication required", noneProblem.GetProperty("title").GetString());
        Assert.Contains("No API key was sent", noneProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_challenge_is_two_www_authenticate_headers_bearer_then_basic()
    {
        // HttpClient merges repeated headers and splits comma lists, so only the raw response tells one header from two.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.Api.BaseUrl.Host, fixture.Api.BaseUrl.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /docs HTTP/1.1\r\nHost: {fixture.Api.BaseUrl.Authority}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var head = new List<string>();
        for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
        {
            head.Add(line);
        }

        Assert.StartsWith("HTTP/1.1 401", head[0], StringComparison.Ordinal);
        var challenges = head.Where(h => h.StartsWith("WWW-Authenticate:", StringComparison.OrdinalIgnoreCase))
            .Select(h => h["WWW-Authenticate:".Length..].Trim()).ToList();
        Assert.Equal(["Bearer", "Basic realm=\"Batch\", charset=\"UTF-8\""], challenges);
    }

    [Fact]
    public async Task The_probes_need_no_key_and_say_nothing_but_their_status()
    {
        using var anonymous = fixture.Api.CreateClient(bearerKey: null);

        using var live = await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var ready = await anonymous.GetAsync(new Uri("/readyz", UriKind.Relative));

        foreach (var answer in new[] { live, ready })
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("Healthy", await answer.Content.ReadAsStringAsync());
            Assert.False(answer.Headers.Contains("Server"), "the Server header names the software");
        }
    }

    [Fact]
    public async Task Readiness_says_unhealthy_and_no_more_when_the_database_is_unreachable()
    {
        var unreachable = new Npgsql.NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { Port = 1, Timeout = 2 }.ConnectionString;
        await using var app = Batch.Api.BatchApiApplication.Create([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Batch"] = unreachable, ["Batch:AdminApiKey"] = "k" });
            builder.Logging.ClearProviders();
        });
        await app.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var live = await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var ready = await anonymous.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (live.StatusCode, await live.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (ready.StatusCode, await ready.Content.ReadAsStringAsync()));
        await app.StopAsync();
    }

    [Fact]
    public async Task Every_route_but_the_probes_and_the_sign_in_forms_needs_a_key()
    {
        using var anonymous = fixture.Api.CreateClient(bearerKey: null);
        var routes = fixture.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (method, Path: Fill(e.RoutePattern.RawText!))))
            .ToList();
        Assert.Contains(routes, r => r.Path.StartsWith("/hangfire", StringComparison.Ordinal));
        Assert.True(routes.Count > 30, $"only {routes.Count} routes found");

        foreach (var (method, path) in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new { }) };
            using var answer = await anonymous.SendAsync(request);
            // /metrics needs no key but a caller in Batch__Metrics__AllowedNetworks, loopback by default (OperationsTests).
            // The sign-in and sign-out pages open to anyone; their forms are refused without the anti-forgery token.
            var expected = (method, path) switch
            {
                (_, "/healthz" or "/readyz" or "/metrics") or ("GET", "/hangfire/sign-in" or "/hangfire/sign-out") => HttpStatusCode.OK,
                ("POST", "/hangfire/sign-in" or "/hangfire/sign-out") => HttpStatusCode.BadRequest,
                _ => HttpStatusCode.Unauthorized,
            };
            Assert.True(expected == answer.StatusCode, $"{method} {path}: {(int)answer.StatusCode}");
        }
    }

    /// <summary>A concrete path for a route pattern: every parameter gets a value of its kind.</summary>
    private static string Fill(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern.TrimStart('/'), @"\{\*{0,2}([^}:]+)(:[^}]+)?\}",
            m => m.Groups[2].Value.Contains("guid", StringComparison.Ordinal) ? Guid.NewGuid().ToString() : m.Groups[1].Value == "documentName" ? "v1" : "x");

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
        // "Back to site" leads to the API reference, a page that exists.
        Assert.Contains("href=\"/docs\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(fixture.Database.ConnectionString.Split(';')[0], html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_api_reference_sends_nothing_to_third_parties()
    {
        using var client = fixture.Api.CreateClient();

        var html = await client.GetStringAsync(new Uri("/docs/", UriKind.Relative));

        // Scalar's defaults send usage to Scalar's servers, offer an AI chat fed the whole API description and fetch fonts
        // from a CDN; the page's configuration turns each off.
        foreach (var off in new[] { "\"telemetry\":false", "\"agent\":{\"disabled\":true}", "\"mcp\":{\"disabled\":true}", "\"showDeveloperTools\":\"never\"", "\"withDefaultFonts\":false" })
        {
            Assert.Contains(off, html, StringComparison.Ordinal);
        }
        Assert.Contains("\"preferredSecurityScheme\":[\"ApiKey\"]", html, StringComparison.Ordinal);
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

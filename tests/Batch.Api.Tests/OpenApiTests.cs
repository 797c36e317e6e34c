using System.Text.Json;

namespace Batch.Api.Tests;

public class OpenApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Every_endpoint_is_described_with_a_summary()
    {
        using var client = fixture.Api.CreateClient();

        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));

        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/results", "/api/jobs/{id}/cancel", "/api/jobs/{id}/pause",
                     "/api/jobs/{id}/resume", "/api/jobs/{id}/retry-failed", "/api/keys", "/api/keys/{id}", "/api/prices", "/api/accounts", "/api/accounts/{name}" })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing");
            foreach (var operation in item.EnumerateObject().Where(o => o.Name is "get" or "post" or "patch" or "delete"))
            {
                Assert.False(string.IsNullOrEmpty(operation.Value.GetProperty("summary").GetString()), $"{operation.Name} {path} has no summary");
            }
        }
        var upload = paths.GetProperty("/api/jobs").GetProperty("post");
        Assert.True(upload.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.Contains("curl", upload.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_key_is_a_declared_bearer_scheme_that_every_operation_requires()
    {
        using var client = fixture.Api.CreateClient();

        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));

        var root = document.RootElement;
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var operations = root.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete").Select(o => (Path: path.Name, Operation: o.Value)))
            .ToList();
        Assert.True(operations.Count > 20, $"{operations.Count} operations");
        foreach (var (path, operation) in operations)
        {
            Assert.True(operation.TryGetProperty("security", out var security) && security.EnumerateArray().Any(r => r.TryGetProperty("ApiKey", out _)),
                $"{path} does not require the key");
        }
    }

    [Fact]
    public async Task Money_is_described_as_a_number()
    {
        using var client = fixture.Api.CreateClient();

        var json = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        using var document = JsonDocument.Parse(json);

        var job = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("JobResponse");
        var cost = job.GetProperty("properties").GetProperty("cost_usd");
        Assert.True(cost.TryGetProperty("type", out var type) && type.ToString().Contains("number", StringComparison.Ordinal), cost.ToString());
    }
}

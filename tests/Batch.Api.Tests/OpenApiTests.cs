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
}

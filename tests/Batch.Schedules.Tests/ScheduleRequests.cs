using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Api.Tests;

namespace Batch.Schedules.Tests;

/// <summary>Calls to <c>/api/schedules</c> and the answers' parts the tests read.</summary>
internal static class ScheduleRequests
{
    public static Uri Path(string path = "") => new($"/api/schedules{path}", UriKind.Relative);

    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, Path(path)) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Creates a schedule and insists on 201, returning the answer.</summary>
    public static async Task<JsonElement> CreateAsync(HttpClient client, Guid sourceJobId, string name, string cron = "0 6 * * 1-5", string? timeZone = null, bool enabled = true)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Post, "", new { name, cron, time_zone = timeZone, source_job_id = sourceJobId, enabled });
        Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {body}");
        return body;
    }

    /// <summary>The field the first error of a problem answer names.</summary>
    public static string? ErrorField(JsonElement problem) => problem.GetProperty("errors")[0].GetProperty("field").GetString();

    public static Task<Guid> CreateSourceJobAsync(HttpClient client, int rows) => Uploads.CreateJobAsync(client, Uploads.TemplateSpec, Uploads.Csv(rows));
}

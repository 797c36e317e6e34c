using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Testing;

namespace Batch.Api.Tests;

/// <summary>Builds <c>POST /api/jobs</c> requests the way curl -F does, and reads the answers.</summary>
internal static class Uploads
{
    public const string TemplateSpec = """{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16}""";
    public const string ParamsSpec = """{"model": "claude-haiku-4-5", "max_tokens": 16}""";

    public static MultipartFormDataContent Form(string spec, byte[] file, string fileName, string? contentType = null)
    {
        var form = new MultipartFormDataContent();
        var specPart = new StringContent(spec, Encoding.UTF8, "application/json");
        form.Add(specPart, "spec");
        var filePart = new ByteArrayContent(file);
        if (contentType is not null)
        {
            filePart.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        form.Add(filePart, "file", fileName);
        return form;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string spec, string file, string fileName, string? contentType = null) =>
        PostAsync(client, spec, Encoding.UTF8.GetBytes(file), fileName, contentType);

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string spec, byte[] file, string fileName, string? contentType = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs", UriKind.Relative)) { Content = Form(spec, file, fileName, contentType) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await client.SendAsync(request);
    }

    /// <summary>Uploads and insists on 201, returning the job's id.</summary>
    /// <summary>Expands the job's uploaded blocks into pending rows, as a worker does before it claims them.</summary>
    public static async Task ExpandRowsAsync(PostgresDatabase database, Guid jobId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await JobInputBlocks.MaterializeAllAsync(connection, jobId, RowStatus.Pending, CancellationToken.None);
    }

    public static async Task<Guid> CreateJobAsync(HttpClient client, string spec, string file, string fileName = "rows.csv")
    {
        using var response = await PostAsync(client, spec, file, fileName);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).Clone();

    /// <summary>Fails unless the database holds no job, no row and no block: what a refused upload or an estimate leaves.</summary>
    public static async Task AssertNoTraceAsync(PostgresDatabase database)
    {
        await using var command = database.DataSource.CreateCommand("SELECT (SELECT count(*) FROM batch.jobs) + (SELECT count(*) FROM batch.job_rows) + (SELECT count(*) FROM batch.job_input_blocks)");
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    public static string Csv(int rows, Func<int, string>? text = null) =>
        "custom_id,text\n" + string.Concat(Enumerable.Range(1, rows).Select(i => $"r{i},{text?.Invoke(i) ?? $"row {i}"}\n"));
}

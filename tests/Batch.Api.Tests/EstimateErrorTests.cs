using System.Text;
using System.Text.Json;

namespace Batch.Api.Tests;

/// <summary>
/// An estimate reads the upload with the upload's own parser: every bad file, bad spec and bad request it is sent
/// answers exactly what <c>POST /api/jobs</c> answers (status, title and errors), whether sent to
/// <c>/api/jobs/estimate</c> or as <c>POST /api/jobs?dry_run=true</c>; and it stores nothing.
/// </summary>
public class EstimateErrorTests(SmallLimitsApiFixture fixture) : IClassFixture<SmallLimitsApiFixture>
{
    public static TheoryData<string> Files => [.. BadFileCorpusTests.Cases.Select(c => (string)c[0])];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task A_bad_file_gets_the_uploads_errors(string file)
    {
        var spec = file.StartsWith("params-", StringComparison.Ordinal) ? Uploads.ParamsSpec : Uploads.TemplateSpec;
        var contentType = Path.GetExtension(file) switch
        {
            ".csv" => "text/csv",
            ".jsonl" => "application/jsonl",
            _ => null,
        };
        await AssertSameAnswersAsync(spec, await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Corpus", file)), file, contentType);
    }

    [Theory]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 0}""")]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "max_cost_usd": -1}""")]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "temprature": 1}""")]
    [InlineData("""{"model": "claude-haiku-4-5", "max_tokens": 16}""")]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "account": "nobody"}""")]
    [InlineData("""not json""")]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "output_schema": {"type": "array"}}""")]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "output_mode": "json_schema", "output_schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "additionalProperties": false}}""")]
    [InlineData("""{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "schema_retries": 1}""")]
    public async Task A_bad_spec_gets_the_uploads_errors(string spec) =>
        await AssertSameAnswersAsync(spec, Encoding.UTF8.GetBytes(Uploads.Csv(3)), "rows.csv", "text/csv");

    [Fact]
    public async Task A_params_line_that_shapes_the_answer_against_the_specs_schema_gets_the_uploads_errors()
    {
        var status = await AssertSameAnswersAsync(
            """{"max_tokens": 16, "output_schema": {"type": "object", "properties": {"a": {"type": "string"}}}}""",
            Encoding.UTF8.GetBytes("""
                {"custom_id": "r1", "params": {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Hi"}], "tool_choice": {"type": "auto"}}}

                """),
            "rows.jsonl", "application/jsonl");
        Assert.Equal(422, status);
    }

    [Fact]
    public async Task A_file_over_the_limit_gets_the_uploads_413() =>
        await AssertSameAnswersAsync(Uploads.TemplateSpec, Encoding.UTF8.GetBytes(Uploads.Csv(SmallLimitsApiFixture.MaxFileBytes / 10, i => $"row number {i} with some text")), "big.csv", "text/csv");

    [Fact]
    public async Task A_request_without_the_file_part_gets_the_uploads_400()
    {
        var status = await AssertSameAnswersAsync(() => new MultipartFormDataContent { { new StringContent(Uploads.TemplateSpec, Encoding.UTF8, "application/json"), "spec" } });
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task A_good_file_is_estimated_and_not_stored()
    {
        using var client = fixture.Api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/estimate", UriKind.Relative))
        {
            Content = Uploads.Form(Uploads.TemplateSpec, Encoding.UTF8.GetBytes(Uploads.Csv(7)), "rows.csv", "text/csv"),
        };
        using var response = await client.SendAsync(request);

        var estimate = await Uploads.JsonAsync(response);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7, estimate.GetProperty("rows").GetInt64());
        // This API has no key for its default account: characters, and a note that says why.
        Assert.Equal("estimated", estimate.GetProperty("token_counting").GetString());
        Assert.Contains(estimate.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("Anthropic:ApiKey", StringComparison.Ordinal));
        await Uploads.AssertNoTraceAsync(fixture.Database);
    }

    private Task<int> AssertSameAnswersAsync(string spec, byte[] file, string fileName, string? contentType) =>
        AssertSameAnswersAsync(() => Uploads.Form(spec, file, fileName, contentType));

    /// <summary>Sends the same body to the upload, the estimate and the dry run; all three must refuse it alike. Returns the status.</summary>
    private async Task<int> AssertSameAnswersAsync(Func<HttpContent> body)
    {
        using var client = fixture.Api.CreateClient();
        var answers = new List<string>();
        var status = 0;
        foreach (var url in new[] { "/api/jobs", "/api/jobs/estimate", "/api/jobs?dry_run=true" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url, UriKind.Relative)) { Content = body() };
            using var response = await client.SendAsync(request);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            status = (int)response.StatusCode;
            answers.Add($"{status} {Essence(await Uploads.JsonAsync(response))}");
        }
        Assert.Equal(answers[0], answers[1]);
        Assert.Equal(answers[0], answers[2]);
        await Uploads.AssertNoTraceAsync(fixture.Database);
        return status;
    }

    /// <summary>The problem without what differs per request (its trace id).</summary>
    private static string Essence(JsonElement problem) =>
        string.Join(' ', problem.EnumerateObject().Where(p => p.Name is not ("trace_id" or "traceId" or "instance")).Select(p => $"{p.Name}={p.Value.GetRawText()}"));
}

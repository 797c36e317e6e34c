using System.Globalization;
using System.Net;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Testing;
using CsvHelper;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Tests;

/// <summary>Specs with an output schema: what the upload refuses and stores, and the results' schema columns and "parsed".</summary>
public class StructuredResultsTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string Schema = """
        {"type": "object", "properties": {
            "sentiment": {"type": "string", "enum": ["positive", "negative", "mixed"]},
            "score": {"type": "number"}, "ok": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "detail": {"type": "object", "properties": {"area": {"type": "string"}}, "additionalProperties": false},
            "reason": {"type": "string"}},
         "required": ["sentiment", "reason"], "additionalProperties": false}
        """;

    private static string Spec(string schema, string extra = "") =>
        $$$"""{"model": "claude-haiku-4-5", "template": "{{text}}", "max_tokens": 64, "output_schema": {{{schema}}}{{{extra}}}}""";

    [Theory]
    [InlineData("""{"type": "object", "properties": {"sentiment": {"type": "strin"}}}""", "", "spec.output_schema.properties.sentiment.type", "not a valid JSON Schema value type")]
    [InlineData("""{"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": 3}}}}""", "", "spec.output_schema.properties.tags.items.enum", "Not valid JSON Schema")]
    [InlineData("""{"type": "object", "required": ["a", 1]}""", "", "spec.output_schema.required[1]", "Not valid JSON Schema")]
    [InlineData("""{"type": "array", "items": {"type": "string"}}""", "", "spec.output_schema.type", "must be \"object\"")]
    [InlineData("""["not", "a", "schema"]""", "", "spec.output_schema", "JSON Schema object")]
    [InlineData("""{"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}""", "", "spec.output_schema.properties.a.$ref", "inside the schema")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "string"}}}""", ", \"output_mode\": \"json_schema\"", "spec.output_schema.additionalProperties", "additionalProperties")]
    [InlineData("""{"type": "object", "properties": {"d": {"type": "object", "properties": {}}}, "additionalProperties": false}""", ", \"output_mode\": \"json_schema\"", "spec.output_schema.properties.d.additionalProperties", "additionalProperties")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "additionalProperties": false}""", ", \"output_mode\": \"json_schema\"", "spec.output_schema.properties.n.minimum", "bounds")]
    [InlineData("""{"type": "object", "properties": {"next": {"$ref": "#"}}, "additionalProperties": false}""", ", \"output_mode\": \"json_schema\"", "spec.output_schema.properties.next.$ref", "recursive")]
    [InlineData("""{"type": "object"}""", ", \"output_mode\": \"xml\"", "spec.output_mode", "json_schema")]
    [InlineData("""{"type": "object"}""", ", \"schema_retries\": 9", "spec.schema_retries", "between 0 and 5")]
    [InlineData("""{"type": "object"}""", ", \"tool_choice\": {\"type\": \"auto\"}", "spec.tool_choice", "remove tool_choice")]
    [InlineData("""{"type": "object"}""", ", \"tools\": [{\"name\": \"record\", \"input_schema\": {\"type\": \"object\"}}]", "spec.tools", "record")]
    public async Task A_schema_that_is_not_valid_or_that_the_mode_cannot_carry_is_refused_naming_its_place(string schema, string extra, string field, string words)
    {
        using var client = fixture.Api.CreateClient();
        var before = await JobCountAsync();

        using var response = await Uploads.PostAsync(client, Spec(schema, extra), Uploads.Csv(3), "rows.csv", "text/csv");

        var problem = await Uploads.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, problem.ToString());
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e =>
            e.GetProperty("field").GetString() == field && e.GetProperty("message").GetString()!.Contains(words, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(before, await JobCountAsync());
    }

    [Theory]
    [InlineData("""{"output_mode": "tool"}""", "spec.output_mode")]
    [InlineData("""{"schema_retries": 2}""", "spec.schema_retries")]
    public async Task Schema_settings_without_a_schema_are_refused(string extra, string field)
    {
        using var client = fixture.Api.CreateClient();
        var spec = $$$"""{"model": "claude-haiku-4-5", "template": "{{text}}", "max_tokens": 8, {{{extra[1..^1]}}}}""";

        using var response = await Uploads.PostAsync(client, spec, Uploads.Csv(1), "rows.csv", "text/csv");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains((await Uploads.JsonAsync(response)).GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
    }

    [Theory]
    [InlineData(Schema, "", OutputMode.Auto, 1)]
    [InlineData(Schema, ", \"output_mode\": \"json_schema\", \"schema_retries\": 0", OutputMode.JsonSchema, 0)]
    [InlineData(Schema, ", \"output_mode\": \"tool\", \"schema_retries\": 3", OutputMode.Tool, 3)]
    // Structured outputs could not carry this one (no additionalProperties: false): auto means the forced tool on every model.
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}""", "", OutputMode.Tool, 1)]
    public async Task The_job_stores_the_schema_as_sent_and_the_mode_it_will_use(string schema, string extra, OutputMode mode, int retries)
    {
        using var client = fixture.Api.CreateClient();

        var id = await Uploads.CreateJobAsync(client, Spec(schema, extra), Uploads.Csv(2));

        await using var db = fixture.Database.CreateContext();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
        Assert.Equal(schema, job.OutputSchema);
        Assert.Equal((mode, retries), (job.OutputMode, job.SchemaRetries));
        // The API shows them as stored: the schema as a JSON object, the mode in the spec's spelling.
        var shown = JsonDocument.Parse(await client.GetStringAsync(new Uri($"/api/jobs/{id}", UriKind.Relative))).RootElement;
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(schema).RootElement, shown.GetProperty("output_schema")), shown.GetProperty("output_schema").ToString());
        Assert.Equal(JsonNamingPolicy.SnakeCaseLower.ConvertName(mode.ToString()), shown.GetProperty("output_mode").GetString());
        Assert.Equal(retries, shown.GetProperty("schema_retries").GetInt32());
    }

    [Fact]
    public async Task A_job_without_a_schema_shows_no_schema_settings()
    {
        using var client = fixture.Api.CreateClient();

        var id = await Uploads.CreateJobAsync(client, """{"model": "claude-haiku-4-5", "template": "{{text}}", "max_tokens": 8}""", Uploads.Csv(1));

        var shown = JsonDocument.Parse(await client.GetStringAsync(new Uri($"/api/jobs/{id}", UriKind.Relative))).RootElement;
        Assert.Equal((JsonValueKind.Null, JsonValueKind.Null, JsonValueKind.Null),
            (shown.GetProperty("output_schema").ValueKind, shown.GetProperty("output_mode").ValueKind, shown.GetProperty("schema_retries").ValueKind));
    }

    [Fact]
    public async Task A_params_line_that_picks_its_own_answer_shape_is_refused_when_the_spec_has_a_schema()
    {
        using var client = fixture.Api.CreateClient();
        var spec = """{"model": "claude-haiku-4-5", "max_tokens": 16, "output_schema": {"type": "object"}}""";
        var file = """
            {"custom_id": "a", "params": {"messages": [{"role": "user", "content": "hi"}]}}
            {"custom_id": "b", "params": {"messages": [{"role": "user", "content": "hi"}], "tool_choice": {"type": "any"}}}
            {"custom_id": "c", "params": {"messages": [{"role": "user", "content": "hi"}], "output_config": {"format": {"type": "json_schema", "schema": {}}}}}
            """;

        using var response = await Uploads.PostAsync(client, spec, file, "rows.jsonl");

        var errors = (await Uploads.JsonAsync(response)).GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([(2L, "params.tool_choice"), (3L, "params.output_config")], errors.Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("field").GetString())));
    }

    [Fact]
    public async Task Csv_results_have_a_column_per_schema_property_in_schema_order_whatever_the_rows_hold()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateAnsweredJobAsync(client);

        var text = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results?format=csv", UriKind.Relative));

        using var csv = new CsvParser(new StringReader(text), CultureInfo.InvariantCulture);
        Assert.True(await csv.ReadAsync());
        Assert.Equal(["custom_id", "text", "sentiment", "score", "ok", "tags", "detail", "reason", "output_text", "stop_reason", "input_tokens",
            "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "output_tokens", "cost_usd", "request_id", "latency_ms", "attempts",
            "error_type", "error"], csv.Record!);
        Assert.True(await csv.ReadAsync());
        // Enums as text, numbers as values, booleans as true/false, arrays and objects as compact JSON; formulas neutralised.
        Assert.Equal(["r1", "row 1", "positive", "4.5", "true", """["fast","light"]""", """{"area":"battery"}""", "'=HYPERLINK(\"x\")"], csv.Record![..8]);
        Assert.True(await csv.ReadAsync());
        // A property the schema lacks is left out; one the answer lacks is an empty cell.
        Assert.Equal(["r2", "row 2", "'-negative", "", "false", "[]", "", "short"], csv.Record![..8]);
        Assert.True(await csv.ReadAsync());
        Assert.Equal(["r3", "row 3", "", "", "", "", "", ""], csv.Record![..8]);
        Assert.Equal("schema_mismatch", csv[19]);
        Assert.StartsWith("The answer does not match the schema at /sentiment", csv[20], StringComparison.Ordinal);
        Assert.False(await csv.ReadAsync());
    }

    [Fact]
    public async Task Jsonl_results_add_parsed_beside_anthropics_result_on_succeeded_lines()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateAnsweredJobAsync(client);

        var text = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results", UriKind.Relative));

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["custom_id", "result", "batch", "parsed"], lines[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("succeeded", lines[0].GetProperty("result").GetProperty("type").GetString());
        Assert.Equal("positive", lines[0].GetProperty("parsed").GetProperty("sentiment").GetString());
        Assert.Equal(4.5, lines[0].GetProperty("parsed").GetProperty("score").GetDouble());
        Assert.Equal(["sentiment", "score", "ok", "tags", "detail", "reason"], lines[0].GetProperty("parsed").EnumerateObject().Select(p => p.Name));
        Assert.Equal("errored", lines[2].GetProperty("result").GetProperty("type").GetString());
        Assert.Equal("schema_mismatch", lines[2].GetProperty("result").GetProperty("error").GetProperty("error").GetProperty("type").GetString());
        Assert.False(lines[2].TryGetProperty("parsed", out _));
    }

    [Fact]
    public async Task The_sample_job_is_a_classification_whose_results_have_a_column_per_field()
    {
        using var client = fixture.Api.CreateClient();
        var spec = await File.ReadAllTextAsync(RepositoryPaths.Combine("samples", "reviews.spec.json"));
        var file = await File.ReadAllTextAsync(RepositoryPaths.Combine("samples", "reviews.csv"));

        var id = await Uploads.CreateJobAsync(client, spec, file, "reviews.csv");
        var header = (await client.GetStringAsync(new Uri($"/api/jobs/{id}/results?format=csv&include_pending=true", UriKind.Relative))).Split('\n')[0].TrimStart('\uFEFF');

        await using var db = fixture.Database.CreateContext();
        Assert.Equal(OutputMode.Auto, (await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id)).OutputMode);
        // The sample's id column gives the custom_ids, so no custom_id column leads.
        Assert.StartsWith("id,review,stars,sentiment,area,reason,output_text,", header, StringComparison.Ordinal);
    }

    /// <summary>Three rows as a worker records them: two answers that matched (the second with a key the schema lacks), one that did not.</summary>
    /// <summary>The worker keeps an answer's own JSON text when it is on one line: the first row's has spaces, as a model may write it.</summary>
    private async Task<Guid> CreateAnsweredJobAsync(HttpClient client)
    {
        var id = await Uploads.CreateJobAsync(client, Spec(Schema), Uploads.Csv(3));
        await Uploads.ExpandRowsAsync(fixture.Database, id);
        await using var command = fixture.Database.DataSource.CreateCommand($$"""
            UPDATE batch.job_rows SET status = 2, output_content = '[]', stop_reason = 'end_turn', completed_at = now(),
                output_parsed = '{"sentiment": "positive", "score": 4.5, "ok": true, "tags": ["fast", "light"], "detail": {"area": "battery"}, "reason": "=HYPERLINK(\"x\")"}'
            WHERE job_id = '{{id}}' AND seq = 1;
            UPDATE batch.job_rows SET status = 2, output_content = '[]', stop_reason = 'end_turn', completed_at = now(),
                output_parsed = '{"sentiment":"-negative","ok":false,"tags":[],"extra":1,"reason":"short"}'
            WHERE job_id = '{{id}}' AND seq = 2;
            UPDATE batch.job_rows SET status = 3, output_text = '{"sentiment":12345}', error_type = 'schema_mismatch',
                error_message = 'The answer does not match the schema at /sentiment: type: ...', completed_at = now()
            WHERE job_id = '{{id}}' AND seq = 3;
            """);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private async Task<int> JobCountAsync()
    {
        await using var db = fixture.Database.CreateContext();
        return await db.Jobs.CountAsync();
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Jobs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Batch.Api.Tests;

public class UploadTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_csv_upload_is_stored_whole_answers_201_with_links_and_enqueues_the_job()
    {
        using var client = fixture.Api.CreateClient();
        // BOM, quoted fields with embedded quotes, delimiters and line breaks (RFC 4180), CRLF endings, a blank line.
        var csv = "\uFEFFid,review,stars\r\n" +
                  "r001,\"Great, really \"\"great\"\" value\",5\r\n" +
                  "r002,\"Two\r\nlines\",2\r\n" +
                  "\r\n" +
                  "r003,Plain,3\r\n";
        const string spec = """
            {"name": "Reviews", "model": "claude-sonnet-4-5", "system": "You classify reviews.", "template": "Review {{ id }} ({{stars}} stars): {{review}}",
             "max_tokens": 32, "temperature": 0.2, "stop_sequences": ["END"], "metadata": {"user_id": "u1"}, "cache_ttl": "1h", "priority": 7}
            """;

        using var response = await Uploads.PostAsync(client, spec, Encoding.UTF8.GetBytes(csv), "reviews.csv");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await Uploads.JsonAsync(response);
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal(3, body.GetProperty("row_count").GetInt32());
        Assert.Equal("queued", body.GetProperty("status").GetString());
        Assert.Equal($"/api/jobs/{id}/results", body.GetProperty("links").GetProperty("results").GetString());
        Assert.Equal($"/api/jobs/{id}/cancel", body.GetProperty("links").GetProperty("cancel").GetString());
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);

        await Uploads.ExpandRowsAsync(fixture.Database, id);
        await using var db = fixture.Database.CreateContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == id);
        Assert.Equal(("Reviews", "claude-sonnet-4-5", 32, 7, CacheTtl.OneHour, RowFormat.CsvTemplate), (job.Name, job.Model, job.MaxTokens, job.Priority, job.CacheTtl, job.RowFormat));
        Assert.Equal(["id", "review", "stars"], job.Columns);
        Assert.Equal("admin", job.Project);
        using (var defaults = JsonDocument.Parse(job.DefaultParams))
        {
            Assert.Equal(0.2, defaults.RootElement.GetProperty("temperature").GetDouble());
            Assert.Equal("END", defaults.RootElement.GetProperty("stop_sequences")[0].GetString());
            Assert.Equal("u1", defaults.RootElement.GetProperty("metadata").GetProperty("user_id").GetString());
        }
        var rows = await db.JobRows.Where(r => r.JobId == id).OrderBy(r => r.Seq).ToListAsync();
        // The file's id column gives the custom_ids (and stays an input, for the template).
        Assert.Equal(["r001", "r002", "r003"], rows.Select(r => r.CustomId));
        Assert.Equal("id", job.IdColumn);
        Assert.Equal("r002", Input(rows[1])["id"]);
        Assert.Empty(body.GetProperty("notes").EnumerateArray());
        Assert.All(rows, r => Assert.Equal(RowStatus.Pending, r.Status));
        Assert.Equal("Great, really \"great\" value", Input(rows[0])["review"]);
        Assert.Equal("Two\r\nlines", Input(rows[1])["review"]);
        Assert.Equal("3", Input(rows[2])["stars"]);

        var storage = fixture.Api.Services.GetRequiredService<JobStorage>();
        var enqueued = storage.GetMonitoringApi().EnqueuedJobs(BatchQueues.Control, 0, 1000);
        Assert.Contains(enqueued, j => j.Value.Job.Type == typeof(IJobRunner) && j.Value.Job.Args[0] is Guid started && started == id);
    }

    [Fact]
    public async Task Escapes_postgresql_can_store_are_accepted_and_survive_the_expansion_into_rows()
    {
        using var client = fixture.Api.CreateClient();
        // A literal backslash-u0000 (not a NUL) and a surrogate pair, in a template row and in a params row.
        const string template = """{"text": "a literal \\u0000 and \ud83d\ude00"}""";
        const string batch = """{"custom_id": "p", "params": {"max_tokens": 5, "messages": [{"role": "user", "content": "\\u0000 \ud83d\ude00"}]}}""";

        var templateJob = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, template, "t.jsonl");
        var paramsJob = await Uploads.CreateJobAsync(client, Uploads.ParamsSpec, batch, "p.jsonl");
        await Uploads.ExpandRowsAsync(fixture.Database, templateJob);
        await Uploads.ExpandRowsAsync(fixture.Database, paramsJob);

        await using var db = fixture.Database.CreateContext();
        var templateRow = await db.JobRows.SingleAsync(r => r.JobId == templateJob);
        Assert.Equal("a literal \\u0000 and \U0001F600", Input(templateRow)["text"]);
        var paramsRow = await db.JobRows.SingleAsync(r => r.JobId == paramsJob);
        using var body = JsonDocument.Parse(paramsRow.Input);
        Assert.Equal("\\u0000 \U0001F600", body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_custom_id_column_is_used_and_a_delimiter_can_be_chosen()
    {
        using var client = fixture.Api.CreateClient();
        const string spec = """{"model": "claude-haiku-4-5", "template": "{{text}}", "max_tokens": 8, "csv_delimiter": ";"}""";

        var id = await Uploads.CreateJobAsync(client, spec, "custom_id;text\nalpha;one, with comma\nbeta;two\n");
        await Uploads.ExpandRowsAsync(fixture.Database, id);

        await using var db = fixture.Database.CreateContext();
        var rows = await db.JobRows.Where(r => r.JobId == id).OrderBy(r => r.Seq).ToListAsync();
        Assert.Equal(["alpha", "beta"], rows.Select(r => r.CustomId));
        Assert.Equal("one, with comma", Input(rows[0])["text"]);
    }

    [Theory]
    [InlineData(null, "custom_id,id,text\na1,b1,x\n", "a1", "custom_id")]
    [InlineData(null, "id,text\nb1,x\n", "b1", "id")]
    [InlineData("key", "key,id,text\nk1,b1,x\n", "k1", "key")]
    [InlineData("", "custom_id,id,text\na1,b1,x\n", "row-000001", null)]
    [InlineData(null, "text\nx\n", "row-000001", null)]
    public async Task Custom_ids_come_from_id_column_then_custom_id_then_id_then_row_numbers(string? idColumn, string csv, string customId, string? usedColumn)
    {
        using var client = fixture.Api.CreateClient();
        var spec = JsonSerializer.Serialize(new { model = "claude-haiku-4-5", template = "{{text}}", max_tokens = 8, id_column = idColumn },
            new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });

        var id = await Uploads.CreateJobAsync(client, spec, csv);
        await Uploads.ExpandRowsAsync(fixture.Database, id);

        await using var db = fixture.Database.CreateContext();
        Assert.Equal(customId, (await db.JobRows.SingleAsync(r => r.JobId == id)).CustomId);
        Assert.Equal(usedColumn, (await db.Jobs.SingleAsync(j => j.Id == id)).IdColumn);
    }

    [Fact]
    public async Task An_id_value_that_cannot_be_a_custom_id_names_its_column_and_how_to_choose_another()
    {
        using var client = fixture.Api.CreateClient();

        using var response = await Uploads.PostAsync(client, Uploads.TemplateSpec, "id,text\nfine,x\nnot fine,y\n", "rows.csv");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await Uploads.JsonAsync(response)).GetProperty("errors")[0];
        Assert.Equal((3, "id"), (error.GetProperty("line").GetInt32(), error.GetProperty("field").GetString()));
        Assert.Contains("\"id_column\"", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_id_column_that_names_no_column_or_meets_params_lines_is_refused()
    {
        using var client = fixture.Api.CreateClient();
        const string spec = """{"model": "claude-haiku-4-5", "template": "{{text}}", "max_tokens": 8, "id_column": "key"}""";

        using var csv = await Uploads.PostAsync(client, spec, "id,text\nb1,x\n", "rows.csv");
        using var batchLines = await Uploads.PostAsync(client, """{"model": "claude-haiku-4-5", "max_tokens": 8, "id_column": "key"}""",
            """{"custom_id": "p", "params": {"messages": [{"role": "user", "content": "hi"}]}}""", "rows.jsonl");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, csv.StatusCode);
        var error = (await Uploads.JsonAsync(csv)).GetProperty("errors")[0];
        Assert.Equal("spec.id_column", error.GetProperty("field").GetString());
        Assert.Contains("'key' names no column of the header (id, text)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, batchLines.StatusCode);
        Assert.Equal("spec.id_column", (await Uploads.JsonAsync(batchLines)).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Jsonl_template_lines_take_their_custom_ids_from_the_id_column_variable()
    {
        using var client = fixture.Api.CreateClient();
        const string spec = """{"model": "claude-haiku-4-5", "template": "{{text}}", "max_tokens": 8, "id_column": "n"}""";

        var id = await Uploads.CreateJobAsync(client, spec, "{\"n\": 5, \"text\": \"a\"}\n{\"n\": \"six\", \"text\": \"b\"}\n", "rows.jsonl");
        using var missing = await Uploads.PostAsync(client, spec, "{\"n\": 5, \"text\": \"a\"}\n{\"text\": \"b\"}\n", "rows.jsonl");
        await Uploads.ExpandRowsAsync(fixture.Database, id);

        await using var db = fixture.Database.CreateContext();
        Assert.Equal(["5", "six"], await db.JobRows.Where(r => r.JobId == id).OrderBy(r => r.Seq).Select(r => r.CustomId).ToListAsync());
        Assert.Equal("n", (await db.Jobs.SingleAsync(j => j.Id == id)).IdColumn);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        var error = (await Uploads.JsonAsync(missing)).GetProperty("errors")[0];
        Assert.Equal((2, "n"), (error.GetProperty("line").GetInt32(), error.GetProperty("field").GetString()));
    }

    [Fact]
    public async Task A_model_with_no_price_and_no_settings_is_stored_with_a_note_not_refused()
    {
        using var client = fixture.Api.CreateClient();

        using var unknown = await Uploads.PostAsync(client, """{"model": "gpt-4o", "template": "{{text}}", "max_tokens": 8}""", "text\nx\n", "rows.csv");
        using var known = await Uploads.PostAsync(client, """{"model": "claude-haiku-4-5-20251001", "template": "{{text}}", "max_tokens": 8}""", "text\nx\n", "rows.csv");

        Assert.Equal(HttpStatusCode.Created, unknown.StatusCode);
        var created = await Uploads.JsonAsync(unknown);
        var note = Assert.Single(created.GetProperty("notes").EnumerateArray()).GetString();
        Assert.Contains("'gpt-4o'", note, StringComparison.Ordinal);
        Assert.Contains("POST /api/prices", note, StringComparison.Ordinal);
        var status = await client.GetStringAsync(new Uri($"/api/jobs/{created.GetProperty("id").GetGuid()}", UriKind.Relative));
        Assert.Equal(note, JsonDocument.Parse(status).RootElement.GetProperty("notes")[0].GetString());
        Assert.Empty((await Uploads.JsonAsync(known)).GetProperty("notes").EnumerateArray());
    }

    [Fact]
    public async Task Jsonl_template_variables_become_rows_and_columns()
    {
        using var client = fixture.Api.CreateClient();
        const string jsonl = """
            {"custom_id": "a", "text": "first", "n": 1}

            {"text": "second", "extra": null}
            """;

        var id = await Uploads.CreateJobAsync(client, Uploads.TemplateSpec, jsonl, "rows.jsonl");
        await Uploads.ExpandRowsAsync(fixture.Database, id);

        await using var db = fixture.Database.CreateContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == id);
        Assert.Equal(RowFormat.JsonlTemplate, job.RowFormat);
        Assert.Equal(["text", "n", "extra"], job.Columns);
        var rows = await db.JobRows.Where(r => r.JobId == id).OrderBy(r => r.Seq).ToListAsync();
        Assert.Equal(["a", "row-000002"], rows.Select(r => r.CustomId));
        Assert.Equal("1", Input(rows[0])["n"]);
        Assert.Equal("", Input(rows[1])["extra"]);
    }

    [Fact]
    public async Task Jsonl_params_lines_store_their_params_and_may_bring_model_and_max_tokens()
    {
        using var client = fixture.Api.CreateClient();
        const string jsonl = """
            {"custom_id": "q1", "params": {"model": "claude-opus-4-5", "max_tokens": 100, "system": [{"type": "text", "text": "Be brief."}], "messages": [{"role": "user", "content": "Hi"}]}}
            {"custom_id": "q2", "params": {"model": "claude-opus-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}, {"role": "assistant", "content": "Hi"}, {"role": "user", "content": "Bye"}]}}
            """;

        var id = await Uploads.CreateJobAsync(client, "{}", jsonl, "batch.jsonl");
        await Uploads.ExpandRowsAsync(fixture.Database, id);

        await using var db = fixture.Database.CreateContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == id);
        Assert.Equal((RowFormat.JsonlParams, "claude-opus-4-5", 0), (job.RowFormat, job.Model, job.MaxTokens));
        var rows = await db.JobRows.Where(r => r.JobId == id).OrderBy(r => r.Seq).ToListAsync();
        using var first = JsonDocument.Parse(rows[0].Input);
        Assert.Equal(100, first.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Hi", first.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.False(first.RootElement.TryGetProperty("custom_id", out _));
    }

    [Theory]
    [InlineData("rows.csv.gz", null, false)]
    [InlineData("rows.csv", "text/csv", true)]
    [InlineData("upload", "application/octet-stream", false)]
    public async Task Gzip_is_accepted_by_name_by_content_encoding_or_by_its_magic_bytes(string fileName, string? contentType, bool contentEncoding)
    {
        using var client = fixture.Api.CreateClient();
        var gzip = Gzip(Uploads.Csv(3));
        using var form = new MultipartFormDataContent { { new StringContent(Uploads.TemplateSpec), "spec" } };
        var file = new ByteArrayContent(gzip);
        if (contentType is not null)
        {
            file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        if (contentEncoding)
        {
            file.Headers.ContentEncoding.Add("gzip");
        }
        form.Add(file, "file", fileName);

        using var response = await client.PostAsync(new Uri("/api/jobs", UriKind.Relative), form);

        var body = await Uploads.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        Assert.Equal(3, body.GetProperty("row_count").GetInt32());
    }

    [Fact]
    public async Task A_retried_upload_with_the_same_idempotency_key_returns_the_first_job()
    {
        using var client = fixture.Api.CreateClient();
        var file = Encoding.UTF8.GetBytes(Uploads.Csv(4));
        var key = Guid.NewGuid().ToString();

        using var first = await Uploads.PostAsync(client, Uploads.TemplateSpec, file, "rows.csv", "text/csv", key);
        using var retry = await Uploads.PostAsync(client, Uploads.TemplateSpec, file, "rows.csv", "text/csv", key);
        using var other = await Uploads.PostAsync(client, Uploads.TemplateSpec, file, "rows.csv", "text/csv", Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var firstId = (await Uploads.JsonAsync(first)).GetProperty("id").GetGuid();
        Assert.Equal(firstId, (await Uploads.JsonAsync(retry)).GetProperty("id").GetGuid());
        Assert.NotEqual(firstId, (await Uploads.JsonAsync(other)).GetProperty("id").GetGuid());
        await using var db = fixture.Database.CreateContext();
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.IdempotencyKey == key));
        Assert.Equal(4, await db.JobInputBlocks.Where(b => b.JobId == firstId).SumAsync(b => b.RowCount));
    }

    [Fact]
    public async Task Concurrent_uploads_with_one_idempotency_key_create_one_job()
    {
        using var client = fixture.Api.CreateClient();
        var file = Encoding.UTF8.GetBytes(Uploads.Csv(200));
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Uploads.PostAsync(client, Uploads.TemplateSpec, file, "rows.csv", "text/csv", key)));

        var ids = new HashSet<Guid>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, response.StatusCode.ToString());
            ids.Add((await Uploads.JsonAsync(response)).GetProperty("id").GetGuid());
            response.Dispose();
        }
        Assert.Single(ids);
        await using var db = fixture.Database.CreateContext();
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.IdempotencyKey == key));
    }

    [Theory]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "max_token": 3}""", 400, "spec.max_token", "Unknown field")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": "many"}""", 400, "spec.max_tokens", "Not valid JSON")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "cache_ttl": "2h"}""", 422, "spec.cache_ttl", "5m")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 0}""", 422, "spec.max_tokens", "at least 1")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "temperature": 1.5}""", 422, "spec.temperature", "between 0 and 1")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "account": "nope"}""", 422, "spec.account", "nope")]
    [InlineData("""{"template": "{{text}}", "max_tokens": 8}""", 422, "spec.model", "Required")]
    [InlineData("""{"model": "m", "max_tokens": 8}""", 422, "spec.template", "Required")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "csv_delimiter": "::"}""", 422, "spec.csv_delimiter", "one character")]
    [InlineData("""[1]""", 400, "spec", "JSON")]
    public async Task A_bad_spec_is_refused_naming_the_field(string spec, int status, string field, string words)
    {
        using var client = fixture.Api.CreateClient();

        using var response = await Uploads.PostAsync(client, spec, Uploads.Csv(1), "rows.csv", "text/csv");

        var problem = await Uploads.JsonAsync(response);
        Assert.True((int)response.StatusCode == status, problem.ToString());
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e =>
            e.GetProperty("field").GetString() == field && e.GetProperty("message").GetString()!.Contains(words, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_request_that_is_not_multipart_is_415()
    {
        using var client = fixture.Api.CreateClient();

        using var response = await client.PostAsync(new Uri("/api/jobs", UriKind.Relative), new StringContent("id,text\n1,a\n", Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_file_part_before_the_spec_part_is_400()
    {
        using var client = fixture.Api.CreateClient();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(Uploads.Csv(1)), "file", "rows.csv" },
            { new StringContent(Uploads.TemplateSpec), "spec" },
        };

        using var response = await client.PostAsync(new Uri("/api/jobs", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("before the 'file' part", (await Uploads.JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Input(JobRow row) => JsonSerializer.Deserialize<Dictionary<string, string>>(row.Input)!;

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        return output.ToArray();
    }
}

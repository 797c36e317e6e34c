using System.Net;
using System.Text;
using System.Text.Json;
using Batch.Testing;

namespace Batch.Api.Tests;

/// <summary>
/// Every file in Corpus/ is refused with the status and the line (and field or column) it should name, and
/// the database holds no trace of it afterwards: no job, no rows.
/// </summary>
public class BadFileCorpusTests(SmallLimitsApiFixture fixture) : IClassFixture<SmallLimitsApiFixture>
{
    public static TheoryData<string, int, long?, string?, long?, string> Cases => new()
    {
        // file, status, line, field, column, words the message must hold
        { "empty.csv", 422, 1, null, null, "empty" },
        { "header-only.csv", 422, 2, null, null, "header but no rows" },
        { "unknown-placeholder.csv", 422, 1, "text", null, "names no column" },
        { "duplicate-custom-id.csv", 422, 4, "custom_id", null, "already used on line 2" },
        { "invalid-custom-id.csv", 422, 3, "custom_id", null, "is not valid" },
        { "invalid-utf8.csv", 422, 3, null, null, "not valid UTF-8" },
        { "utf16.csv", 422, 1, null, null, "not valid UTF-8" },
        { "wrong-field-count.csv", 422, 3, null, null, "3 fields; the header has 2" },
        { "bad-quoting.csv", 422, 3, null, null, "quot" },
        { "field-too-large.csv", 422, 3, null, null, "limit of 1,024 bytes" },
        { "multiline-row-wrong-count.csv", 422, 4, null, null, "3 fields" },
        { "unterminated-quote.csv", 422, 5, null, null, "quot" },
        { "unterminated-quote-mid-file.csv", 422, 3, null, null, "quot" },
        { "missing-header-name.csv", 422, 1, null, 2, "no name" },
        { "nul-character.csv", 422, 3, "text", 2, "NUL" },
        { "corrupt.csv.gz", 422, null, "file", null, "gzip" },
        { "truncated.csv.gz", 422, null, "file", null, "ends early" },
        { "empty.jsonl", 422, 1, null, null, "empty" },
        { "not-an-object.jsonl", 422, 2, null, null, "must be a JSON object; this one is an array" },
        { "invalid-json.jsonl", 422, 3, null, 10, "Not valid JSON" },
        { "duplicate-custom-id.jsonl", 422, 2, "custom_id", null, "already used on line 1" },
        { "missing-variable.jsonl", 422, 2, "text", null, "no value" },
        { "invalid-utf8.jsonl", 422, 2, null, null, "not valid UTF-8" },
        { "line-too-long.jsonl", 422, 2, null, null, "longer than the limit of 4,096 bytes" },
        { "params-system-role.jsonl", 422, 1, "params.messages[0].role", null, "top-level system field" },
        { "params-stream.jsonl", 422, 2, "params.stream", null, "stream must be true or false" },
        { "params-unknown-field.jsonl", 422, 1, "params.temprature", null, "Unknown field" },
        { "params-no-messages.jsonl", 422, 1, "params.messages", null, "required" },
        { "params-bad-max-tokens.jsonl", 422, 1, "params.max_tokens", null, "at least 1" },
        { "params-mixed-with-template.jsonl", 422, 2, "params", null, "no params" },
        { "params-unpaired-surrogate.jsonl", 422, 2, "params", null, "unpaired surrogate" },
        { "unpaired-surrogate.jsonl", 422, 2, "text", null, "unpaired surrogate" },
        { "report.pdf", 415, null, "file", null, "not supported" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_file_is_refused_naming_the_place_and_leaves_no_trace(string file, int status, long? line, string? field, long? column, string words)
    {
        using var client = fixture.Api.CreateClient();
        var spec = file.StartsWith("params-", StringComparison.Ordinal) ? Uploads.ParamsSpec : Uploads.TemplateSpec;
        var contentType = Path.GetExtension(file) switch
        {
            ".csv" => "text/csv",
            ".jsonl" => "application/jsonl",
            _ => null,
        };

        using var response = await Uploads.PostAsync(client, spec, await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Corpus", file)), file, contentType);

        var problem = await Uploads.JsonAsync(response);
        Assert.True((int)response.StatusCode == status, $"{file}: {(int)response.StatusCode} {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = problem.GetProperty("errors").EnumerateArray().ToList();
        Assert.Contains(errors, error =>
            Number(error, "line") == line
            && (field is null || Text(error, "field") == field)
            && (column is null || Number(error, "column") == column)
            && Text(error, "message")!.Contains(words, StringComparison.OrdinalIgnoreCase));
        await Uploads.AssertNoTraceAsync(fixture.Database);
    }

    [Fact]
    public async Task A_file_over_the_upload_limit_is_413_and_leaves_no_trace()
    {
        using var client = fixture.Api.CreateClient();
        var file = Uploads.Csv(SmallLimitsApiFixture.MaxFileBytes / 10, i => $"row number {i} with some text");

        using var response = await Uploads.PostAsync(client, Uploads.TemplateSpec, file, "big.csv", "text/csv");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await Uploads.JsonAsync(response);
        Assert.Contains("upload limit of 65,536 bytes", problem.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        await Uploads.AssertNoTraceAsync(fixture.Database);
    }

    [Fact]
    public async Task A_small_gzip_that_inflates_over_the_limit_is_413()
    {
        using var client = fixture.Api.CreateClient();
        var file = Gzip(Encoding.UTF8.GetBytes("custom_id,text\n" + string.Concat(Enumerable.Range(1, 20_000).Select(i => $"r{i},aaaaaaaaaaaaaaaa\n"))));
        Assert.True(file.Length < SmallLimitsApiFixture.MaxFileBytes);

        using var response = await Uploads.PostAsync(client, Uploads.TemplateSpec, file, "rows.csv.gz");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Uploads.AssertNoTraceAsync(fixture.Database);
    }

    [Fact]
    public async Task Errors_are_listed_up_to_the_configured_limit()
    {
        using var client = fixture.Api.CreateClient();
        var file = "custom_id,text\n" + string.Concat(Enumerable.Range(1, 50).Select(i => $"bad id {i},x\n"));

        using var response = await Uploads.PostAsync(client, Uploads.TemplateSpec, file, "rows.csv", "text/csv");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await Uploads.JsonAsync(response)).GetProperty("errors");
        Assert.Equal(SmallLimitsApiFixture.MaxErrors, errors.GetArrayLength());
        Assert.Equal([2L, 3, 4, 5, 6], errors.EnumerateArray().Select(e => Number(e, "line")!.Value));
        await Uploads.AssertNoTraceAsync(fixture.Database);
    }


    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private static long? Number(JsonElement error, string name) => error.TryGetProperty(name, out var value) ? value.GetInt64() : null;

    private static string? Text(JsonElement error, string name) => error.TryGetProperty(name, out var value) ? value.GetString() : null;
}

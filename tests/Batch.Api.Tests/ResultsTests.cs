using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Batch.Data.Rows;
using CsvHelper;

namespace Batch.Api.Tests;

/// <summary>Results of rows recorded directly in the database, as a worker would record them.</summary>
public class ResultsTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string Spec = """{"model": "claude-haiku-4-5", "template": "{{text}} {{note}}", "max_tokens": 16}""";

    [Fact]
    public async Task Jsonl_results_use_anthropics_result_line_shape_in_file_order()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateFinishedJobAsync(client);

        using var response = await client.GetAsync(new Uri($"/api/jobs/{id}/results", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jsonl", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["a1", "a2", "a3"], lines.Select(l => l.GetProperty("custom_id").GetString()));

        var message = lines[0].GetProperty("result");
        Assert.Equal("succeeded", message.GetProperty("type").GetString());
        var m = message.GetProperty("message");
        Assert.Equal(("msg_1", "message", "assistant", "claude-haiku-4-5-20251001"), (m.GetProperty("id").GetString(), m.GetProperty("type").GetString(), m.GetProperty("role").GetString(), m.GetProperty("model").GetString()));
        Assert.Equal("+SUM(1)", m.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("end_turn", m.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, m.GetProperty("stop_sequence").ValueKind);
        var usage = m.GetProperty("usage");
        Assert.Equal((10, 7, 300, 5), (usage.GetProperty("input_tokens").GetInt32(), usage.GetProperty("cache_creation_input_tokens").GetInt32(),
            usage.GetProperty("cache_read_input_tokens").GetInt32(), usage.GetProperty("output_tokens").GetInt32()));
        Assert.Equal(7, usage.GetProperty("cache_creation").GetProperty("ephemeral_5m_input_tokens").GetInt32());

        var errored = lines[1].GetProperty("result");
        Assert.Equal("errored", errored.GetProperty("type").GetString());
        Assert.Equal("error", errored.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", errored.GetProperty("error").GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("prompt is too long", errored.GetProperty("error").GetProperty("error").GetProperty("message").GetString());

        Assert.Equal("canceled", lines[2].GetProperty("result").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Jsonl_lines_carry_batchs_own_fields_in_a_sibling_of_the_result()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateFinishedJobAsync(client);

        var text = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results", UriKind.Relative));

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(["custom_id", "result", "batch"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["type", "message"], first.GetProperty("result").EnumerateObject().Select(p => p.Name));
        Assert.Contains("""
            "batch":{"request_id":"req_1","latency_ms":812,"attempts":1,"error_type":null,"cost_usd":0.000125}
            """, lines[0], StringComparison.Ordinal);
        Assert.Contains("""
            "batch":{"request_id":"req_2","latency_ms":95,"attempts":2,"error_type":"invalid_request_error","cost_usd":null}
            """, lines[1], StringComparison.Ordinal);
        Assert.Contains("""
            "batch":{"request_id":null,"latency_ms":null,"attempts":null,"error_type":null,"cost_usd":null}
            """, lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_rows_are_left_out_unless_asked_for()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateFinishedJobAsync(client);

        var all = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results?include_pending=true", UriKind.Relative));

        var lines = all.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("pending", JsonDocument.Parse(lines[3]).RootElement.GetProperty("result").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Pending_rows_still_in_uploaded_blocks_are_exported_in_file_order()
    {
        using var client = fixture.Api.CreateClient();
        var file = "custom_id,text,note\n" + string.Concat(Enumerable.Range(1, 1100).Select(i => $"id{i},text {i},note {i}\n"));
        var id = await Uploads.CreateJobAsync(client, Spec, file);
        // A worker has expanded the first block and recorded its first row; the other 600 rows are still in blocks.
        await JobInputBlocks.MaterializeNextAsync(fixture.Database.DataSource, id, 1, CancellationToken.None);
        await using (var command = fixture.Database.DataSource.CreateCommand($"UPDATE batch.job_rows SET status = 4 WHERE job_id = '{id}' AND seq = 1"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var all = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results?include_pending=true&format=csv", UriKind.Relative));
        var finished = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results?format=csv", UriKind.Relative));

        using var csv = new CsvReader(new StringReader(all), CultureInfo.InvariantCulture);
        var records = csv.GetRecords<dynamic>().Cast<IDictionary<string, object>>().ToList();
        Assert.Equal(Enumerable.Range(1, 1100).Select(i => $"id{i}"), records.Select(r => (string)r["custom_id"]));
        Assert.Equal("text 1100", records[^1]["text"]);
        Assert.Equal("note 700", records[699]["note"]);
        Assert.Equal(2, finished.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("?format=csv", null)]
    [InlineData("", "text/csv")]
    public async Task Csv_results_repeat_the_inputs_then_outputs_and_neutralise_formulas(string query, string? accept)
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateFinishedJobAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/jobs/{id}/results{query}", UriKind.Relative));
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        using var response = await client.SendAsync(request);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StringReader(await response.Content.ReadAsStringAsync());
        using var csv = new CsvParser(reader, CultureInfo.InvariantCulture);
        Assert.True(await csv.ReadAsync());
        Assert.Equal(["custom_id", "text", "note", "output_text", "stop_reason", "input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
            "cache_read_tokens", "output_tokens", "cost_usd", "request_id", "latency_ms", "attempts", "error_type", "error"], csv.Record!);
        Assert.True(await csv.ReadAsync());
        Assert.Equal(["a1", "'=HYPERLINK(\"http://x\")", "'@cmd", "'+SUM(1)", "end_turn", "10", "7", "0", "300", "5", "0.000125", "req_1", "812", "1", "", ""],
            csv.Record!);
        Assert.True(await csv.ReadAsync());
        Assert.Equal("'-2 is\tfine", csv[1]);
        Assert.Equal(["req_2", "95", "2", "invalid_request_error", "prompt is too long"], csv.Record![11..]);
        Assert.True(await csv.ReadAsync());
        Assert.Equal(["", "", "", "", "canceled"], csv.Record![11..]);
        Assert.False(await csv.ReadAsync());
    }

    [Fact]
    public async Task Csv_has_a_byte_order_mark_only_when_asked_for()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateFinishedJobAsync(client);

        var plain = await client.GetByteArrayAsync(new Uri($"/api/jobs/{id}/results?format=csv", UriKind.Relative));
        var forExcel = await client.GetByteArrayAsync(new Uri($"/api/jobs/{id}/results?format=csv&bom=true", UriKind.Relative));

        Assert.Equal("custom_id,"u8.ToArray(), plain[..10]);
        Assert.Equal([0xEF, 0xBB, 0xBF, .. "custom_id,"u8.ToArray()], forExcel[..13]);
        Assert.Equal(plain, forExcel[3..]);
    }

    [Fact]
    public async Task A_csv_whose_id_column_gives_the_custom_ids_does_not_repeat_them_in_a_column_of_their_own()
    {
        using var client = fixture.Api.CreateClient();
        var id = await Uploads.CreateJobAsync(client, """{"model": "claude-haiku-4-5", "template": "{{review}}", "max_tokens": 16}""", "id,review\nr7,good\nr9,bad\n");

        var csv = await client.GetStringAsync(new Uri($"/api/jobs/{id}/results?format=csv&include_pending=true", UriKind.Relative));

        Assert.StartsWith("id,review,output_text,", csv, StringComparison.Ordinal);
        Assert.StartsWith("r7,good,", csv.Split('\n')[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_format_is_400()
    {
        using var client = fixture.Api.CreateClient();
        var id = await CreateFinishedJobAsync(client);

        using var response = await client.GetAsync(new Uri($"/api/jobs/{id}/results?format=xlsx", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>Four rows: succeeded, failed, canceled, still pending.</summary>
    private async Task<Guid> CreateFinishedJobAsync(HttpClient client)
    {
        var file = "custom_id,text,note\n" +
                   "a1,\"=HYPERLINK(\"\"http://x\"\")\",@cmd\n" +
                   "a2,\"-2 is\tfine\",ok\n" +
                   "a3,plain,ok\n" +
                   "a4,plain,ok\n";
        var id = await Uploads.CreateJobAsync(client, Spec, file);
        await Uploads.ExpandRowsAsync(fixture.Database, id);
        await using var command = fixture.Database.DataSource.CreateCommand($"""
            UPDATE batch.job_rows SET status = 2, output_content = '[{"{"}"type": "text", "text": "+SUM(1)"{"}"}]', output_text = '+SUM(1)', stop_reason = 'end_turn',
                input_tokens = 10, cache_write5m_tokens = 7, cache_read_tokens = 300, output_tokens = 5, message_id = 'msg_1',
                response_model = 'claude-haiku-4-5-20251001', cost_usd = 0.000125, completed_at = now(), request_id = 'req_1', latency_ms = 812, attempts = 1
            WHERE job_id = '{id}' AND seq = 1;
            UPDATE batch.job_rows SET status = 3, error_type = 'invalid_request_error', error_message = 'prompt is too long', http_status = 400,
                request_id = 'req_2', latency_ms = 95, attempts = 2
            WHERE job_id = '{id}' AND seq = 2;
            UPDATE batch.job_rows SET attempts = 1 WHERE job_id = '{id}' AND seq = 3;
            UPDATE batch.job_rows SET status = 4 WHERE job_id = '{id}' AND seq = 3;
            """);
        await command.ExecuteNonQueryAsync();
        return id;
    }
}

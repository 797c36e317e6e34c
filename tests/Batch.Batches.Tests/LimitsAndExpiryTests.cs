using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Batch.Api.Batches;
using Batch.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Batch.Batches.Tests;

/// <summary>API hosts without a worker: one with a two-second expiry and the default limits, one with small limits.</summary>
public sealed class NoWorkerFixture : IAsyncLifetime
{
    public const int SmallMaxRequests = 10;
    public const int SmallMaxBodyBytes = 64 * 1024;

    public PostgresDatabase Database { get; } = new();

    public RunningApi Api { get; private set; } = null!;

    public RunningApi SmallLimits { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Api = await TestHosts.StartApiAsync(Database.ConnectionString, new Dictionary<string, string?> { ["Batch:Batches:Expiry"] = "00:00:02" });
        SmallLimits = await TestHosts.StartApiAsync(Database.ConnectionString, new Dictionary<string, string?>
        {
            ["Batch:Batches:MaxRequests"] = $"{SmallMaxRequests}",
            ["Batch:Batches:MaxBodyBytes"] = $"{SmallMaxBodyBytes}",
            ["Batch:PublicBaseUrl"] = "https://batch.example.com/base",
        });
    }

    public async Task DisposeAsync()
    {
        await SmallLimits.DisposeAsync();
        await Api.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public sealed class LimitsAndExpiryTests(NoWorkerFixture fixture) : IClassFixture<NoWorkerFixture>
{
    private static string Body(int requests, int promptCharacters = 20)
    {
        var text = new string('x', promptCharacters);
        var body = new StringBuilder("{\"requests\": [");
        for (var i = 0; i < requests; i++)
        {
            body.Append(i == 0 ? "" : ",").Append("{\"custom_id\": \"r-").Append(i)
                .Append("\", \"params\": {\"model\": \"claude-haiku-4-5\", \"max_tokens\": 16, \"messages\": [{\"role\": \"user\", \"content\": \"")
                .Append(text).Append("\"}]}}");
        }
        return body.Append("]}").ToString();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(HttpClient client, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await client.PostAsync(new Uri("/v1/messages/batches", UriKind.Relative), content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone(), response);
    }

    private static HttpClient ApiKeyClient(RunningApi api, string key)
    {
        var client = api.CreateClient(bearerKey: null);
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    [Fact]
    public async Task Pending_requests_expire_at_expires_at_and_the_batch_ends()
    {
        using var client = ApiKeyClient(fixture.Api, await BatchesFixture.CreateKeyAsync(fixture.Api, "expiry"));
        await using (var webhook = fixture.Database.DataSource.CreateCommand(
            "INSERT INTO batch.project_settings (project, webhook_url, updated_at) VALUES ('expiry', 'https://hooks.example.com/batches', now())"))
        {
            await webhook.ExecuteNonQueryAsync();
        }
        var (status, created, _) = await PostAsync(client, Body(30));
        Assert.Equal(HttpStatusCode.OK, status);
        var id = created.GetProperty("id").GetString();
        Assert.Equal(TimeSpan.FromSeconds(2), created.GetProperty("expires_at").GetDateTimeOffset() - created.GetProperty("created_at").GetDateTimeOffset());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement batch;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the batch did not expire");
            await Task.Delay(100);
            batch = JsonDocument.Parse(await client.GetStringAsync(new Uri($"/v1/messages/batches/{id}", UriKind.Relative))).RootElement.Clone();
        }
        while (batch.GetProperty("processing_status").GetString() != "ended");

        Assert.Equal(30, batch.GetProperty("request_counts").GetProperty("expired").GetInt32());
        Assert.Equal(0, batch.GetProperty("request_counts").GetProperty("processing").GetInt32());
        var lines = (await client.GetStringAsync(new Uri($"/v1/messages/batches/{id}/results", UriKind.Relative))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(30, lines.Length);
        Assert.All(lines, line => Assert.Equal("expired", JsonDocument.Parse(line).RootElement.GetProperty("result").GetProperty("type").GetString()));
        using var jobs = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/jobs", UriKind.Relative)));
        Assert.Equal("expired", jobs.RootElement.GetProperty("data")[0].GetProperty("status").GetString());

        // No worker runs here: the API, which found the expiry, recorded the project's webhook and enqueued its delivery.
        await using var events = fixture.Database.DataSource.CreateCommand(
            "SELECT e.id, e.payload->'job'->'counts'->>'expired' FROM batch.job_webhook_events e JOIN batch.jobs j ON j.id = e.job_id WHERE j.project = 'expiry'");
        var recorded = new List<(Guid Id, string? Expired)>();
        await using (var reader = await events.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                recorded.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }
        var (eventId, expiredCount) = Assert.Single(recorded);
        Assert.Equal("30", expiredCount);
        await using var delivery = fixture.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%IWebhookSender%' AND arguments::text LIKE '%' || $1 || '%'");
        delivery.Parameters.Add(new() { Value = eventId.ToString() });
        Assert.Equal(1L, await delivery.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_batch_of_100000_requests_is_created_whole()
    {
        using var client = ApiKeyClient(fixture.Api, await BatchesFixture.CreateKeyAsync(fixture.Api, "large"));
        var (status, created, response) = await PostAsync(client, Body(100_000));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(100_000, created.GetProperty("request_counts").GetProperty("processing").GetInt32());
        Assert.StartsWith("req_", response.Headers.GetValues("request-id").Single(), StringComparison.Ordinal);
        using var jobs = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/jobs", UriKind.Relative)));
        Assert.Equal(100_000, jobs.RootElement.GetProperty("data")[0].GetProperty("row_count").GetInt32());

        var (tooMany, error, _) = await PostAsync(client, Body(100_001));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany);
        Assert.Equal("request_too_large", error.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_and_stores_nothing()
    {
        using var client = ApiKeyClient(fixture.SmallLimits, await BatchesFixture.CreateKeyAsync(fixture.SmallLimits, "limits"));
        var (status, error, response) = await PostAsync(client, Body(5, promptCharacters: NoWorkerFixture.SmallMaxBodyBytes));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("request_too_large", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(response.Headers.GetValues("request-id").Single(), error.GetProperty("request_id").GetString());

        (status, error, _) = await PostAsync(client, Body(NoWorkerFixture.SmallMaxRequests + 1));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);

        using var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("/v1/messages/batches", UriKind.Relative)));
        Assert.Equal(0, list.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task The_start_up_warm_up_runs_the_create_path_and_stores_nothing()
    {
        const string Stored = "SELECT (SELECT count(*) FROM batch.jobs) + (SELECT count(*) FROM batch.job_input_blocks) + (SELECT count(*) FROM hangfire.job)";
        await using var before = fixture.Database.DataSource.CreateCommand(Stored);
        var storedBefore = (long)(await before.ExecuteScalarAsync())!;

        await using var scope = fixture.Api.Services.CreateAsyncScope();
        var requests = await scope.ServiceProvider.GetRequiredService<MessageBatchCreator>().WarmUpAsync(CancellationToken.None);

        Assert.Equal(200, requests);
        await using var after = fixture.Database.DataSource.CreateCommand(Stored);
        Assert.Equal(storedBefore, (long)(await after.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Errors_name_the_place_and_use_the_messages_api_shape_on_v1_only()
    {
        using var client = ApiKeyClient(fixture.SmallLimits, await BatchesFixture.CreateKeyAsync(fixture.SmallLimits, "shapes"));
        var bad = Body(3).Replace("\"max_tokens\": 16, \"messages\": [{\"role\": \"user\"", "\"max_tokens\": 16, \"messages\": [{\"role\": \"system\"", StringComparison.Ordinal);
        var (status, error, _) = await PostAsync(client, bad);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith("requests.0.params.messages.0.role: ", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        // A system block whose type is not a string is a plain validation error, worded as the Messages API words it.
        (status, error, _) = await PostAsync(client,
            "{\"requests\": [{\"custom_id\": \"a\", \"params\": {\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 5, \"system\": [{\"type\": 5, \"text\": \"x\"}], \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}}]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var systemMessage = error.GetProperty("error").GetProperty("message").GetString();
        Assert.StartsWith("requests.0.params.system: ", systemMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("surrogate", systemMessage, StringComparison.Ordinal);

        // No spec stands behind a batch: a missing model is a missing field, not "set model in the spec".
        (status, error, _) = await PostAsync(client,
            "{\"requests\": [{\"custom_id\": \"a\", \"params\": {\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}}]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("requests.0.params.model: Field required.", error.GetProperty("error").GetProperty("message").GetString());

        (status, error, _) = await PostAsync(client, "{\"requests\": [{\"custom_id\": \"a\", \"params\": {\"max_tokens\": 5, \"messages\": [");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());

        using var anonymous = fixture.SmallLimits.CreateClient(bearerKey: null);
        using var refused = await anonymous.GetAsync(new Uri("/v1/messages/batches", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("authentication_error", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());
        using var problem = await anonymous.GetAsync(new Uri("/api/jobs", UriKind.Relative));
        Assert.Equal("application/problem+json", problem.Content.Headers.ContentType?.MediaType);

        using var missing = await client.GetAsync(new Uri("/v1/messages/batches/msgbatch_nope/results", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("not_found_error", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());

        var (created, batch, _) = await PostAsync(client, Body(2));
        Assert.Equal(HttpStatusCode.OK, created);
        using var early = await client.GetAsync(new Uri($"/v1/messages/batches/{batch.GetProperty("id").GetString()}/results", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        using var canceled = await client.PostAsync(new Uri($"/v1/messages/batches/{batch.GetProperty("id").GetString()}/cancel", UriKind.Relative), null);
        using var ended = JsonDocument.Parse(await canceled.Content.ReadAsStringAsync());
        Assert.Equal("ended", ended.RootElement.GetProperty("processing_status").GetString());
        Assert.Equal($"https://batch.example.com/base/v1/messages/batches/{batch.GetProperty("id").GetString()}/results",
            ended.RootElement.GetProperty("results_url").GetString());
    }
}

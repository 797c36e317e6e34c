using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using Anthropic.Models.Messages.Batches;

namespace Batch.Batches.Tests;

/// <summary>
/// The delivery a Message Batches create asks for in its headers (<c>batch-delivery</c>, <c>batch-deadline</c>): stored on the job
/// as the spec's <c>delivery</c> and <c>deadline</c> are, refused in the Messages API's error shape when not valid.
/// </summary>
public sealed class DeliveryHeaderTests(NoWorkerFixture fixture) : IClassFixture<NoWorkerFixture>
{
    private const string Body = """
        {"requests": [{"custom_id": "a", "params": {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}}]}
        """;

    private async Task<HttpClient> ClientAsync(string project)
    {
        var client = fixture.SmallLimits.CreateClient(bearerKey: null);
        client.DefaultRequestHeaders.Add("x-api-key", await BatchesFixture.CreateKeyAsync(fixture.SmallLimits, project));
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> CreateAsync(HttpClient client, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/messages/batches", UriKind.Relative))
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<JsonElement> JobOfAsync(HttpClient client, string batchId)
    {
        using var jobs = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/jobs", UriKind.Relative)));
        return jobs.RootElement.GetProperty("data").EnumerateArray().Single(j => j.GetProperty("batch_id").GetString() == batchId).Clone();
    }

    [Theory]
    [InlineData("provider_batch", null, "provider_batch", "Requested: provider_batch.")]
    [InlineData("auto", "30h", "provider_batch", "auto: the deadline is 30 h away, which leaves the provider's 24 h window")]
    [InlineData("auto", "2h", "messages", "auto: the deadline is 2 h away, nearer than the provider's 24 h window: messages; a Message Batches create is not estimated")]
    [InlineData("messages", null, "messages", "Requested: messages.")]
    public async Task The_delivery_headers_choose_the_jobs_delivery_as_the_specs_fields_do(string delivery, string? deadline, string chosen, string reason)
    {
        using var client = await ClientAsync($"headers-{delivery}-{deadline}");
        var before = DateTimeOffset.UtcNow;
        (string, string)[] headers = deadline is null ? [("batch-delivery", delivery)] : [("batch-delivery", delivery), ("batch-deadline", deadline)];

        var (status, batch) = await CreateAsync(client, headers);

        Assert.True(status == HttpStatusCode.OK, batch.ToString());
        var job = await JobOfAsync(client, batch.GetProperty("id").GetString()!);
        Assert.Equal((delivery, chosen), (job.GetProperty("delivery_requested").GetString(), job.GetProperty("delivery").GetString()));
        Assert.StartsWith(reason, job.GetProperty("delivery_reason").GetString(), StringComparison.Ordinal);
        if (deadline is null)
        {
            Assert.Equal(JsonValueKind.Null, job.GetProperty("deadline").ValueKind);
        }
        else
        {
            Assert.InRange(job.GetProperty("deadline").GetDateTimeOffset(), before + TimeSpan.FromHours(int.Parse(deadline[..^1], System.Globalization.CultureInfo.InvariantCulture)),
                DateTimeOffset.UtcNow + TimeSpan.FromHours(int.Parse(deadline[..^1], System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task Without_the_headers_a_batch_goes_by_messages_requests()
    {
        using var client = await ClientAsync("headers-none");

        var (status, batch) = await CreateAsync(client);

        Assert.Equal(HttpStatusCode.OK, status);
        var job = await JobOfAsync(client, batch.GetProperty("id").GetString()!);
        Assert.Equal(("messages", "messages"), (job.GetProperty("delivery_requested").GetString(), job.GetProperty("delivery").GetString()));
    }

    [Theory]
    [InlineData("batch-delivery", "fast", "batch-delivery header: Must be \"messages\", \"provider_batch\" or \"auto\".")]
    [InlineData("batch-delivery", "provider_batch, auto", "batch-delivery header: Must be")]
    [InlineData("batch-deadline", "tomorrow", "batch-deadline header: An RFC 3339 time with its offset")]
    [InlineData("batch-deadline", "2001-01-01T00:00:00Z", "batch-deadline header: The deadline 2001-01-01T00:00:00Z has passed.")]
    public async Task A_bad_delivery_header_is_a_400_in_the_messages_api_shape_and_stores_nothing(string header, string value, string message)
    {
        using var client = await ClientAsync($"bad-{header}-{value.Length}");

        var (status, error) = await CreateAsync(client, (header, value));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith(message, error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        using var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("/v1/messages/batches", UriKind.Relative)));
        Assert.Equal(0, list.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task The_csharp_sdk_sends_the_header_as_an_extra_header()
    {
        using var http = await ClientAsync("headers-sdk");
        var key = http.DefaultRequestHeaders.GetValues("x-api-key").Single();
        var client = new AnthropicClient(new ClientOptions
        {
            ApiKey = key,
            BaseUrl = fixture.SmallLimits.BaseUrl.ToString().TrimEnd('/'),
            MaxRetries = 0,
            ExtraHeaders = new Dictionary<string, string> { ["batch-delivery"] = "provider_batch" },
        });

        var created = await client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = [new Request { CustomID = "sdk-1", Params = new Params { Model = "claude-haiku-4-5", MaxTokens = 16, Messages = [new UserMessageParam("Hi")] } }],
        });

        var job = await JobOfAsync(http, created.ID);
        Assert.Equal("provider_batch", job.GetProperty("delivery").GetString());
    }
}

using System.Text.Json;

namespace Batch.Simulator.Tests;

/// <summary>Each injected fault, as a client sees it.</summary>
public sealed class FaultTests
{
    private static Task<SimulatorServer> StartAsync(Action<SimulatorOptions> faults) =>
        SimulatorServer.StartAsync(o =>
        {
            o.SpeedFactor = 0;
            faults(o);
        });

    [Fact]
    public async Task Overloaded_is_529_overloaded_error()
    {
        await using var server = await StartAsync(o => o.OverloadedProbability = 1);
        using var client = new SimulatorClient(server);

        var reply = await client.PostAsync(Requests.Simple());

        Assert.Equal(529, reply.Status);
        Assert.Equal("overloaded_error", reply.ErrorType);
        Assert.Equal("true", reply.Header("x-should-retry"));
        Assert.Equal(1, server.GetStats().Faults.Overloaded);
    }

    [Fact]
    public async Task Server_error_is_500_api_error()
    {
        await using var server = await StartAsync(o => o.ServerErrorProbability = 1);
        using var client = new SimulatorClient(server);

        var reply = await client.PostAsync(Requests.Simple());

        Assert.Equal(500, reply.Status);
        Assert.Equal("api_error", reply.ErrorType);
        Assert.Equal(1, server.GetStats().Faults.ServerError);
    }

    [Fact]
    public async Task A_dropped_connection_cuts_the_body_short()
    {
        await using var server = await StartAsync(o => o.DropConnectionProbability = 1);
        using var client = new SimulatorClient(server);

        var failure = await Record.ExceptionAsync(() => client.PostAsync(Requests.Simple()));

        Assert.IsType<HttpRequestException>(failure);
        var stats = server.GetStats();
        Assert.Equal(1, stats.Faults.DroppedConnection);
        Assert.Equal(0, stats.MaxPromptAnswered);
    }

    [Fact]
    public async Task A_dropped_stream_ends_before_message_stop()
    {
        await using var server = await StartAsync(o => o.DropConnectionProbability = 1);
        using var client = new SimulatorClient(server);
        var body = Requests.Simple();
        body["stream"] = true;
        var received = new MemoryStream();

        // The reset can overtake the bytes already sent, so the client may fail on the headers or on the body.
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAsync(body, completion: HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)response.StatusCode);
            await response.Content.CopyToAsync(received);
        });

        Assert.True(failure is HttpRequestException or IOException, failure?.ToString());
        Assert.DoesNotContain("message_stop", System.Text.Encoding.UTF8.GetString(received.ToArray()), StringComparison.Ordinal);
        Assert.Equal(1, server.GetStats().Faults.DroppedConnection);
    }

    [Fact]
    public async Task A_stall_outlasts_the_client_timeout_and_ends_when_the_client_leaves()
    {
        await using var server = await StartAsync(o => o.StallProbability = 1);
        using var client = new SimulatorClient(server, timeout: TimeSpan.FromMilliseconds(300));

        var failure = await Record.ExceptionAsync(() => client.PostAsync(Requests.Simple()));

        Assert.IsType<TaskCanceledException>(failure);
        Assert.Equal(1, server.GetStats().Faults.Stalled);
        // The server notices the client left instead of holding the request for the full stall.
        await Wait.UntilAsync(() => server.GetStats().ConcurrentRequests == 0, "the stalled request ends");
        Assert.Equal(0, server.GetStats().MaxPromptAnswered);
    }

    [Fact]
    public async Task A_malformed_body_comes_with_200()
    {
        await using var server = await StartAsync(o => o.MalformedJsonProbability = 1);
        using var client = new SimulatorClient(server);

        using var response = await client.SendAsync(Requests.Simple());
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
        Assert.Equal(1, server.GetStats().Faults.MalformedJson);
    }

    [Fact]
    public async Task A_malformed_stream_event_comes_with_200()
    {
        await using var server = await StartAsync(o => o.MalformedJsonProbability = 1);
        using var client = new SimulatorClient(server);
        var body = Requests.Simple();
        body["stream"] = true;

        using var response = await client.SendAsync(body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.ThrowsAny<JsonException>(() => ServerSentEvents.Parse(text));
    }

    [Fact]
    public async Task Fault_draws_are_seeded_and_repeat()
    {
        async Task<List<int>> StatusesAsync()
        {
            await using var server = await StartAsync(o => (o.OverloadedProbability, o.Seed) = (0.5, 7));
            using var client = new SimulatorClient(server);
            var statuses = new List<int>();
            for (var i = 0; i < 20; i++)
            {
                statuses.Add((await client.PostAsync(Requests.Simple())).Status);
            }
            return statuses;
        }

        var first = await StatusesAsync();
        var second = await StatusesAsync();

        Assert.Equal(first, second);
        Assert.Contains(529, first);
        Assert.Contains(200, first);
    }

    [Fact]
    public async Task Probabilities_can_change_at_runtime_over_http()
    {
        await using var server = await StartAsync(_ => { });
        using var client = new SimulatorClient(server);

        Assert.Equal(200, (await client.PostAsync(Requests.Simple())).Status);
        Assert.Equal(204, (int)(await PostOptionsAsync(client, server, """{"OverloadedProbability": 1}""")).StatusCode);
        Assert.Equal(529, (await client.PostAsync(Requests.Simple())).Status);
        Assert.Equal(204, (int)(await PostOptionsAsync(client, server, """{"OverloadedProbability": 0, "Rpm": 7}""")).StatusCode);
        var reply = await client.PostAsync(Requests.Simple());
        Assert.Equal(200, reply.Status);
        Assert.Equal("7", reply.Header("anthropic-ratelimit-requests-limit"));
    }

    private static async Task<HttpResponseMessage> PostOptionsAsync(SimulatorClient client, SimulatorServer server, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "_simulator/options") { Content = new StringContent(json) };
        request.Headers.Add("x-api-key", server.ApiKey);
        return await client.Http.SendAsync(request);
    }
}

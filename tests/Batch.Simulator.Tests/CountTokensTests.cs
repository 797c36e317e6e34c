namespace Batch.Simulator.Tests;

/// <summary><c>POST /v1/messages/count_tokens</c>: the same count as usage, no cache, its own RPM bucket.</summary>
public sealed class CountTokensTests : SimulatorTest
{
    private static System.Text.Json.Nodes.JsonObject WithoutMaxTokens(System.Text.Json.Nodes.JsonObject body)
    {
        body.Remove("max_tokens");
        return body;
    }

    [Fact]
    public async Task It_counts_what_usage_reports_and_never_touches_the_cache()
    {
        var counted = await Client.PostAsync(WithoutMaxTokens(Requests.Cached(1250)), "v1/messages/count_tokens");
        var answered = await Client.PostAsync(Requests.Cached(1250));

        Assert.Equal(200, counted.Status);
        Assert.Equal(["input_tokens"], counted.Body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1250 + ApproximateTokenizer.MessageOverhead + 2, counted.Body.GetProperty("input_tokens").GetInt32());
        // Counting first did not warm the cache: the first real request still writes.
        Assert.Equal(1250, answered.Usage("cache_creation_input_tokens"));
        var again = await Client.PostAsync(WithoutMaxTokens(Requests.Cached(1250)), "v1/messages/count_tokens");
        Assert.Equal(counted.Body.GetProperty("input_tokens").GetInt32(), again.Body.GetProperty("input_tokens").GetInt32());
        Assert.Equal(2, Server.GetStats().CountTokensRequests);
    }

    [Fact]
    public async Task It_rejects_fields_of_messages_it_does_not_take()
    {
        var reply = await Client.PostAsync(Requests.Simple(), "v1/messages/count_tokens");

        Assert.Equal(400, reply.Status);
        Assert.Equal("max_tokens: Extra inputs are not permitted", reply.ErrorMessage);
    }

    [Fact]
    public async Task It_has_its_own_requests_per_minute_bucket()
    {
        (Server.Options.Rpm, Server.Options.CountTokensRpm) = (1, 1);

        Assert.Equal(200, (await Client.PostAsync(Requests.Simple())).Status);
        Assert.Equal(429, (await Client.PostAsync(Requests.Simple())).Status);
        var counted = await Client.PostAsync(WithoutMaxTokens(Requests.Simple()), "v1/messages/count_tokens");
        var limited = await Client.PostAsync(WithoutMaxTokens(Requests.Simple()), "v1/messages/count_tokens");

        Assert.Equal(200, counted.Status);
        Assert.Equal(429, limited.Status);
        Assert.Equal("rate_limit_error", limited.ErrorType);
        Assert.NotEqual("", limited.Header("retry-after"));
    }
}

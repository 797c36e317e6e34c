namespace Batch.Simulator.Tests;

/// <summary>The spend cap answers 429 with enforced_spend_limit_reached and no retry-after.</summary>
public sealed class SpendCapTests
{
    private static async Task AssertCapReachedAfterOneRequest(Action<SimulatorOptions> cap)
    {
        await using var server = await SimulatorServer.StartAsync(o =>
        {
            (o.SpeedFactor, o.OutputTokensMin, o.OutputTokensMax) = (0, 100, 100);
            cap(o);
        });
        using var client = new SimulatorClient(server);

        var first = await client.PostAsync(Requests.Simple());
        var capped = await client.PostAsync(Requests.Simple());

        Assert.Equal(200, first.Status);
        Assert.Equal(429, capped.Status);
        Assert.Equal("rate_limit_error", capped.ErrorType);
        Assert.Equal("enforced_spend_limit_reached", capped.Body.GetProperty("error").GetProperty("details").GetProperty("error_code").GetString());
        Assert.False(capped.Headers.Contains("retry-after"));
        Assert.False(capped.Headers.Contains("retry-after-ms"));
        Assert.Equal("false", capped.Header("x-should-retry"));

        server.Reset();
        Assert.Equal(200, (await client.PostAsync(Requests.Simple())).Status);
    }

    [Fact]
    public Task A_token_cap_stops_requests_once_reached() =>
        AssertCapReachedAfterOneRequest(o => o.SpendCapTokens = 100);

    [Fact]
    public Task A_dollar_cap_stops_requests_once_reached() =>
        // 100 output tokens of claude-sonnet-4-5 cost $0.0015.
        AssertCapReachedAfterOneRequest(o => o.SpendCapUsd = 0.001);

    [Fact]
    public async Task Spend_below_the_cap_is_not_limited()
    {
        await using var server = await SimulatorServer.StartAsync(o => (o.SpeedFactor, o.SpendCapUsd) = (0, 10));
        using var client = new SimulatorClient(server);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await client.PostAsync(Requests.Simple())).Status);
        }
        Assert.InRange(server.GetStats().SpendUsd, 0.0001, 0.1);
    }
}

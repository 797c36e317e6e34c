using System.Net;

namespace Batch.Simulator.Tests;

/// <summary><c>/_simulator/stats</c> and <c>/_simulator/reset</c>.</summary>
public sealed class StatsTests : SimulatorTest
{
    protected override void Configure(SimulatorOptions options) => (options.SpeedFactor, options.OutputTokensMin, options.OutputTokensMax) = (0, 10, 10);

    [Fact]
    public async Task Stats_count_requests_tokens_and_prompts()
    {
        await Client.PostAsync(Requests.Simple("row one"));
        await Client.PostAsync(Requests.Simple("row two"));
        await Client.PostAsync(Requests.Simple("row two"));
        await Client.PostAsync(Requests.Simple(model: "gpt-4"));

        var json = await Client.StatsAsync();

        Assert.Equal(4, json.GetProperty("requests_total").GetInt64());
        Assert.Equal(3, json.GetProperty("requests_by_status").GetProperty("200").GetInt64());
        Assert.Equal(1, json.GetProperty("requests_by_status").GetProperty("404").GetInt64());
        var tokens = json.GetProperty("tokens");
        Assert.Equal(3 * (ApproximateTokenizer.MessageOverhead + 2), tokens.GetProperty("input").GetInt64());
        Assert.Equal(30, tokens.GetProperty("output").GetInt64());
        foreach (var kind in new[] { "cache_write_5m", "cache_write_1h", "cache_read" })
        {
            Assert.Equal(0, tokens.GetProperty(kind).GetInt64());
        }
        var prompts = json.GetProperty("prompts");
        var two = prompts.GetProperty(SimulatorStatsSnapshot.PromptKeyOf("row two"));
        Assert.Equal(2, two.GetProperty("sent").GetInt64());
        Assert.Equal(2, two.GetProperty("answered").GetInt64());
        Assert.Equal(1, prompts.GetProperty(SimulatorStatsSnapshot.PromptKeyOf("row one")).GetProperty("answered").GetInt64());
        Assert.Equal(2, json.GetProperty("max_prompt_sent").GetInt64());
        Assert.Equal(2, json.GetProperty("max_prompt_answered").GetInt64());
        Assert.Equal(0, json.GetProperty("concurrent_requests").GetInt64());
        Assert.True(json.GetProperty("peak_concurrent_requests").GetInt64() >= 1);
        var requests = json.GetProperty("rate_limits").GetProperty(Requests.Model).GetProperty("requests");
        Assert.Equal(Server.Options.Rpm, requests.GetProperty("limit").GetInt64());
        Assert.Equal(3, requests.GetProperty("max_window_usage").GetInt64());
    }

    [Fact]
    public async Task A_rejected_prompt_counts_as_sent_but_not_answered()
    {
        Server.Options.Rpm = 1;
        await Client.PostAsync(Requests.Simple("first"));
        var limited = await Client.PostAsync(Requests.Simple("second"));

        var stats = Server.GetStats();

        Assert.Equal(429, limited.Status);
        Assert.Equal(new PromptCounts(1, 0), stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf("second")]);
        Assert.Equal(1, stats.RequestsByStatus["429"]);
    }

    [Fact]
    public async Task Reset_clears_stats_cache_and_buckets()
    {
        Server.Options.Rpm = 1;
        await Client.PostAsync(Requests.Cached(1250));
        Assert.Equal(429, (await Client.PostAsync(Requests.Cached(1250))).Status);

        using var request = new HttpRequestMessage(HttpMethod.Post, "_simulator/reset");
        request.Headers.Add("x-api-key", Server.ApiKey);
        using var reset = await Client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        var stats = Server.GetStats();
        Assert.Equal(0, stats.RequestsTotal);
        Assert.Empty(stats.Prompts);
        Assert.Equal(0, stats.Cache.Entries);
        var after = await Client.PostAsync(Requests.Cached(1250));
        Assert.Equal(200, after.Status);
        Assert.Equal(1250, after.Usage("cache_creation_input_tokens"));
    }

    [Fact]
    public async Task Admin_routes_need_the_key()
    {
        using var stats = await Client.Http.GetAsync("_simulator/stats");
        using var reset = await Client.Http.PostAsync("_simulator/reset", null);

        Assert.Equal(HttpStatusCode.Unauthorized, stats.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, reset.StatusCode);
        Assert.True(stats.Headers.Contains("request-id"));
    }

    [Fact]
    public async Task Limits_are_served_as_they_are_in_force_and_need_the_key()
    {
        Server.Options.Rpm = 120;
        using var request = new HttpRequestMessage(HttpMethod.Get, "_simulator/limits");
        request.Headers.Add("x-api-key", Server.ApiKey);

        using var response = await Client.Http.SendAsync(request);
        using var anonymous = await Client.Http.GetAsync("_simulator/limits");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"rpm":120,"input_tpm":2000000,"output_tpm":400000}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}

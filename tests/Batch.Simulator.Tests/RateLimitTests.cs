namespace Batch.Simulator.Tests;

/// <summary>Token buckets per model class for RPM, ITPM and OTPM, their headers and their 429s.</summary>
public sealed class RateLimitTests : SimulatorTest
{
    private readonly ManualTimeProvider _time = new();

    protected override TimeProvider Time => _time;

    protected override void Configure(SimulatorOptions options) => (options.SpeedFactor, options.Rpm, options.InputTpm, options.OutputTpm) = (0, 0, 0, 0);

    private static void AssertRateLimited(Reply reply, int retryAfterSeconds)
    {
        Assert.Equal(429, reply.Status);
        Assert.Equal("rate_limit_error", reply.ErrorType);
        Assert.Equal(retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), reply.Header("retry-after"));
        var retryAfterMs = long.Parse(reply.Header("retry-after-ms"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfterMs, ((retryAfterSeconds - 1) * 1000) + 1, retryAfterSeconds * 1000);
        Assert.NotEqual("", reply.Header("request-id"));
    }

    [Fact]
    public async Task Requests_per_minute_refill_continuously()
    {
        Server.Options.Rpm = 3;

        var remaining = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var ok = await Client.PostAsync(Requests.Simple());
            Assert.Equal(200, ok.Status);
            remaining.Add(ok.Header("anthropic-ratelimit-requests-remaining"));
        }
        var limited = await Client.PostAsync(Requests.Simple());

        Assert.Equal(["2", "1", "0"], remaining);
        // One request refills every 20 seconds.
        AssertRateLimited(limited, 20);
        Assert.Equal("3", limited.Header("anthropic-ratelimit-requests-limit"));
        Assert.Equal("0", limited.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal(_time.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            limited.Header("anthropic-ratelimit-requests-reset"));

        _time.Advance(TimeSpan.FromSeconds(19));
        AssertRateLimited(await Client.PostAsync(Requests.Simple()), 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await Client.PostAsync(Requests.Simple())).Status);

        // Only admitted requests count, but a full bucket plus 20 s of refill admitted 4 within one minute:
        // the window statistic shows what a client pacing itself by the minute must avoid.
        var stats = Server.GetStats().RateLimits[Requests.Model];
        Assert.Equal(3, stats.Requests.Limit);
        Assert.Equal(4, stats.Requests.MaxWindowUsage);
    }

    [Fact]
    public async Task Input_tokens_per_minute_limit_prompt_size()
    {
        Server.Options.InputTpm = 120;
        var prompt = Requests.LongText(76); // 80 input tokens with the message framing

        Assert.Equal(200, (await Client.PostAsync(Requests.Simple(prompt))).Status);
        var limited = await Client.PostAsync(Requests.Simple(prompt));

        // 40 tokens left, 80 needed, 2 tokens per second.
        AssertRateLimited(limited, 20);
        Assert.Equal("120", limited.Header("anthropic-ratelimit-input-tokens-limit"));
        Assert.Equal("40", limited.Header("anthropic-ratelimit-input-tokens-remaining"));
        Assert.Equal("40", limited.Header("anthropic-ratelimit-tokens-remaining"));
    }

    [Fact]
    public async Task Cache_reads_do_not_count_toward_input_tokens_per_minute()
    {
        Server.Options.InputTpm = 2000;

        Assert.Equal(200, (await Client.PostAsync(Requests.Cached(1250))).Status);
        for (var i = 0; i < 5; i++)
        {
            var reply = await Client.PostAsync(Requests.Cached(1250));
            Assert.Equal(200, reply.Status);
            Assert.Equal(1250, reply.Usage("cache_read_input_tokens"));
        }
    }

    [Fact]
    public async Task Cache_reads_count_for_models_configured_like_older_haiku()
    {
        Server.Options.InputTpm = 2000;
        Server.Options.CacheReadsCountTowardItpm = "claude-3-haiku, claude-sonnet-4-5";

        Assert.Equal(200, (await Client.PostAsync(Requests.Cached(1250))).Status);
        Assert.Equal(429, (await Client.PostAsync(Requests.Cached(1250))).Status);
    }

    [Fact]
    public async Task Reserve_mode_holds_max_tokens_until_the_answer_settles()
    {
        (Server.Options.OutputTpm, Server.Options.OutputTokenMode) = (1000, OutputTokenMode.ReserveMaxTokens);
        (Server.Options.OutputTokensMin, Server.Options.OutputTokensMax) = (50, 50);

        var first = await Client.PostAsync(Requests.Simple(maxTokens: 600));
        var second = await Client.PostAsync(Requests.Simple(maxTokens: 600));
        var third = await Client.PostAsync(Requests.Simple(maxTokens: 600));

        Assert.Equal("400", first.Header("anthropic-ratelimit-output-tokens-remaining"));
        Assert.Equal("350", second.Header("anthropic-ratelimit-output-tokens-remaining"));
        Assert.Equal(200, second.Status);
        // 900 left after two answers of 50, but 600 must be reserved: the third waits.
        Assert.Equal(200, third.Status);
        Assert.Equal("300", third.Header("anthropic-ratelimit-output-tokens-remaining"));
        var fourth = await Client.PostAsync(Requests.Simple(maxTokens: 900));
        AssertRateLimited(fourth, 3);
    }

    [Fact]
    public async Task Actual_mode_charges_output_when_the_answer_ends()
    {
        (Server.Options.OutputTpm, Server.Options.OutputTokenMode) = (100, OutputTokenMode.ActualOutput);
        (Server.Options.OutputTokensMin, Server.Options.OutputTokensMax) = (80, 80);

        var first = await Client.PostAsync(Requests.Simple(maxTokens: 1000));
        var second = await Client.PostAsync(Requests.Simple(maxTokens: 1000));
        var third = await Client.PostAsync(Requests.Simple(maxTokens: 1000));

        Assert.Equal("100", first.Header("anthropic-ratelimit-output-tokens-remaining"));
        Assert.Equal("20", second.Header("anthropic-ratelimit-output-tokens-remaining"));
        // The second answer left the bucket at -60; one token takes 61 / (100 / 60) = 36.6 s.
        AssertRateLimited(third, 37);
        Assert.Equal(160, Server.GetStats().RateLimits[Requests.Model].OutputTokens.MaxWindowUsage);
    }

    [Fact]
    public async Task A_burst_window_spreads_the_minute_limit()
    {
        (Server.Options.Rpm, Server.Options.BurstWindowMs) = (60, 1000);

        Assert.Equal(200, (await Client.PostAsync(Requests.Simple())).Status);
        AssertRateLimited(await Client.PostAsync(Requests.Simple()), 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await Client.PostAsync(Requests.Simple())).Status);
    }

    [Fact]
    public async Task Each_model_class_has_its_own_buckets_and_classes_are_configurable()
    {
        Server.Options.Rpm = 1;
        Server.Options.ModelClasses["claude-opus-4"] = "opus";

        Assert.Equal(200, (await Client.PostAsync(Requests.Simple(model: "claude-sonnet-4-5"))).Status);
        Assert.Equal(200, (await Client.PostAsync(Requests.Simple(model: "claude-haiku-4-5"))).Status);
        Assert.Equal(200, (await Client.PostAsync(Requests.Simple(model: "claude-opus-4-5"))).Status);
        Assert.Equal(429, (await Client.PostAsync(Requests.Simple(model: "claude-opus-4-6"))).Status);
        Assert.Equal(429, (await Client.PostAsync(Requests.Simple(model: "claude-sonnet-4-5"))).Status);
        Assert.Contains("opus", Server.GetStats().RateLimits.Keys);
    }

    [Fact]
    public async Task Zero_means_unlimited_and_sends_no_headers_for_that_dimension()
    {
        Server.Options.Rpm = 5;

        var reply = await Client.PostAsync(Requests.Simple());

        Assert.Equal("5", reply.Header("anthropic-ratelimit-requests-limit"));
        Assert.False(reply.Headers.Contains("anthropic-ratelimit-input-tokens-limit"));
        Assert.False(reply.Headers.Contains("anthropic-ratelimit-tokens-limit"));
    }
}

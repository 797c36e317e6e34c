using Batch.Simulator;

namespace Batch.Messages.Tests;

/// <summary>The client against the simulator over real HTTP.</summary>
public sealed class SimulatorTests : IAsyncLifetime
{
    private SimulatorServer _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorServer.StartAsync(o => o.SpeedFactor = 0);

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    private MessagesServices Services(string? key = null, string version = "2023-06-01")
    {
        var services = new MessagesServices();
        services.Account = new MessagesAccount(Guid.NewGuid(), "sim", _simulator.BaseUrl, key ?? _simulator.ApiKey, version);
        return services;
    }

    [Theory]
    [InlineData("2023-06-01")]
    [InlineData("2026-10-21")]
    public async Task A_success_carries_the_message_usage_and_headers(string version)
    {
        using var services = Services(version: version);

        var attempt = await services.SendAsync(MessagesServices.Body("What is 2+2?"));

        Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
        Assert.Equal(200, attempt.HttpStatus);
        Assert.False(string.IsNullOrEmpty(attempt.RequestId));
        Assert.NotNull(attempt.RateLimits?.Requests?.Limit);
        var stats = _simulator.GetStats();
        Assert.Equal(stats.Tokens.Input, attempt.Message!.Usage.InputTokens);
        Assert.Equal(stats.Tokens.Output, attempt.Message.Usage.OutputTokens);
        Assert.NotEmpty(attempt.Message.OutputText);
    }

    [Fact]
    public async Task Invalid_requests_and_unknown_models_fail_the_row()
    {
        using var services = Services();

        var invalid = await services.SendAsync(MessagesServices.Body(maxTokens: 0));
        var unknown = await services.SendAsync(MessagesServices.Body(model: "gpt-4"));

        Assert.Equal((AttemptOutcome.RowFailed, 400, "invalid_request_error"), (invalid.Outcome, invalid.HttpStatus!.Value, invalid.Error!.Type));
        Assert.Equal((AttemptOutcome.RowFailed, 404, "not_found_error"), (unknown.Outcome, unknown.HttpStatus!.Value, unknown.Error!.Type));
    }

    [Fact]
    public async Task A_wrong_key_pauses_and_the_key_never_reaches_the_logs()
    {
        using var services = Services(key: "sk-wrong-secret-0123456789");

        var attempt = await services.SendAsync();
        services.Account = services.Account with { ApiKey = _simulator.ApiKey };
        var good = await services.SendAsync();

        Assert.Equal((AttemptOutcome.PauseJob, 401), (attempt.Outcome, attempt.HttpStatus!.Value));
        Assert.Equal(AttemptOutcome.Succeeded, good.Outcome);
        Assert.NotEmpty(services.Logs);
        Assert.DoesNotContain(services.Logs, line => line.Contains("sk-wrong-secret", StringComparison.Ordinal));
        Assert.DoesNotContain(services.Logs, line => line.Contains(_simulator.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_spend_cap_pauses()
    {
        using var services = Services();
        _simulator.Options.SpendCapTokens = 1;
        await services.SendAsync();

        var capped = await services.SendAsync();

        Assert.Equal(AttemptOutcome.PauseJob, capped.Outcome);
        Assert.Equal(AttemptClassifier.SpendLimitErrorCode, capped.Error!.ErrorCode);
    }

    [Fact]
    public async Task Rate_limited_answers_are_transient_with_retry_after_and_limits()
    {
        using var services = Services();
        _simulator.Options.Rpm = 1;

        await services.SendAsync();
        var limited = await services.SendAsync();

        Assert.Equal((AttemptOutcome.Transient, 429), (limited.Outcome, limited.HttpStatus!.Value));
        Assert.True(limited.RetryAfter > TimeSpan.Zero);
        Assert.Equal(1, limited.RateLimits!.Requests!.Limit);
    }

    [Theory]
    [InlineData("overloaded", 529)]
    [InlineData("server", 500)]
    [InlineData("drop", null)]
    [InlineData("malformed", 200)]
    public async Task Injected_faults_are_transient(string fault, int? status)
    {
        using var services = Services();
        switch (fault)
        {
            case "overloaded": _simulator.Options.OverloadedProbability = 1; break;
            case "server": _simulator.Options.ServerErrorProbability = 1; break;
            case "drop": _simulator.Options.DropConnectionProbability = 1; break;
            default: _simulator.Options.MalformedJsonProbability = 1; break;
        }

        var attempt = await services.SendAsync();

        Assert.Equal(AttemptOutcome.Transient, attempt.Outcome);
        Assert.Equal(status, attempt.HttpStatus);
    }

    [Fact]
    public async Task A_stalled_answer_times_out_as_transient()
    {
        _simulator.Options.StallProbability = 1;
        _simulator.Options.StallSeconds = 30;
        var services = new MessagesServices(settings: new() { ["Timeout"] = "00:00:00.300" });
        using (services)
        {
            services.Account = new MessagesAccount(Guid.NewGuid(), "sim", _simulator.BaseUrl, _simulator.ApiKey, "2023-06-01");

            var attempt = await services.SendAsync();

            Assert.Equal(AttemptOutcome.Transient, attempt.Outcome);
            Assert.Equal("timeout_error", attempt.Error!.Type);
        }
    }
}

using System.Net;

namespace Batch.Messages.Tests;

public class ClassificationTests
{
    private const string SpendCap = """{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"req_1"}""";

    [Theory]
    [InlineData(400, "invalid_request_error", AttemptOutcome.RowFailed)]
    [InlineData(404, "not_found_error", AttemptOutcome.RowFailed)]
    [InlineData(413, "request_too_large", AttemptOutcome.RowFailed)]
    [InlineData(401, "authentication_error", AttemptOutcome.PauseJob)]
    [InlineData(403, "permission_error", AttemptOutcome.PauseJob)]
    [InlineData(402, "billing_error", AttemptOutcome.PauseJob)]
    [InlineData(400, "billing_error", AttemptOutcome.PauseJob)]
    [InlineData(429, "rate_limit_error", AttemptOutcome.Transient)]
    [InlineData(500, "api_error", AttemptOutcome.Transient)]
    [InlineData(504, "timeout_error", AttemptOutcome.Transient)]
    [InlineData(529, "overloaded_error", AttemptOutcome.Transient)]
    public async Task Each_status_and_error_type_has_its_outcome(int status, string type, AttemptOutcome expected)
    {
        var body = $$"""{"type":"error","error":{"type":"{{type}}","message":"it went wrong"},"request_id":"req_x"}""";
        using var services = new MessagesServices(new StubHandler((HttpStatusCode)status, body, ("request-id", "req_header")));

        var attempt = await services.SendAsync();

        Assert.Equal(expected, attempt.Outcome);
        Assert.Equal(status, attempt.HttpStatus);
        Assert.Equal(type, attempt.Error!.Type);
        Assert.Equal("it went wrong", attempt.Error.Message);
        Assert.Equal("req_header", attempt.RequestId);
    }

    [Fact]
    public async Task The_spend_cap_429_pauses_instead_of_retrying()
    {
        using var services = new MessagesServices(new StubHandler(HttpStatusCode.TooManyRequests, SpendCap, ("x-should-retry", "false")));

        var attempt = await services.SendAsync();

        Assert.Equal(AttemptOutcome.PauseJob, attempt.Outcome);
        Assert.Equal(AttemptClassifier.SpendLimitErrorCode, attempt.Error!.ErrorCode);
        Assert.False(attempt.ShouldRetry);
    }

    [Theory]
    [InlineData(500, "false", AttemptOutcome.RowFailed)]
    [InlineData(409, "true", AttemptOutcome.Transient)]
    [InlineData(400, null, AttemptOutcome.RowFailed)]
    public async Task X_should_retry_overrides_the_status(int status, string? shouldRetry, AttemptOutcome expected)
    {
        var headers = shouldRetry is null ? [] : new[] { ("x-should-retry", shouldRetry) };
        using var services = new MessagesServices(new StubHandler((HttpStatusCode)status, """{"error":{"type":"x","message":"m"}}""", headers));

        Assert.Equal(expected, (await services.SendAsync()).Outcome);
    }

    [Fact]
    public async Task An_error_body_that_is_not_json_still_classifies_by_status()
    {
        using var services = new MessagesServices(new StubHandler(HttpStatusCode.BadGateway, "<html>bad gateway</html>"));

        var attempt = await services.SendAsync();

        Assert.Equal(AttemptOutcome.Transient, attempt.Outcome);
        Assert.Equal("api_error", attempt.Error!.Type);
        Assert.Contains("bad gateway", attempt.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_error_of_another_shape_is_read()
    {
        using var services = new MessagesServices(new StubHandler(HttpStatusCode.BadRequest, """{"error":"model field is required","code":"bad_model"}"""));

        var attempt = await services.SendAsync();

        Assert.Equal(AttemptOutcome.RowFailed, attempt.Outcome);
        Assert.Equal("invalid_request_error", attempt.Error!.Type);
        Assert.Equal("model field is required", attempt.Error.Message);
    }

    [Fact]
    public async Task A_200_with_a_body_that_is_not_a_message_is_transient()
    {
        using var services = new MessagesServices(new StubHandler(HttpStatusCode.OK, """{"id":"msg_1","content":[{"type":"text","te"""));

        var attempt = await services.SendAsync();

        Assert.Equal(AttemptOutcome.Transient, attempt.Outcome);
        Assert.Equal("malformed_response", attempt.Error!.Type);
    }

    [Fact]
    public async Task A_refused_connection_is_transient_without_status()
    {
        // Port 9 (discard) on loopback is closed here, so the connection is refused.
        using var services = new MessagesServices();

        var attempt = await services.SendAsync();

        Assert.Equal(AttemptOutcome.Transient, attempt.Outcome);
        Assert.Null(attempt.HttpStatus);
        Assert.Equal("connection_error", attempt.Error!.Type);
    }
}

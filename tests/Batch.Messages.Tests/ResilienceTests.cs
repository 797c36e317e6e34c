using System.Diagnostics;

namespace Batch.Messages.Tests;

public class ResilienceTests
{
    private static readonly Dictionary<string, string?> FastBackoff = new()
    {
        ["BaseDelay"] = "00:00:00.001",
        ["MaxDelay"] = "00:00:00.010",
        ["MaxAttempts"] = "4",
    };

    private static MessagesAttempt Transient(TimeSpan? retryAfter = null) =>
        new() { Outcome = AttemptOutcome.Transient, HttpStatus = 429, RetryAfter = retryAfter };

    private static readonly MessagesAttempt Success = new() { Outcome = AttemptOutcome.Succeeded, HttpStatus = 200 };

    [Fact]
    public async Task Retry_after_is_waited_before_the_next_attempt()
    {
        using var services = new MessagesServices(settings: FastBackoff);
        var started = new List<long>();

        var (last, attempts) = await services.Resilience.ExecuteAsync(Guid.NewGuid(), (n, _) =>
        {
            started.Add(Stopwatch.GetTimestamp());
            return ValueTask.FromResult(n == 1 ? Transient(TimeSpan.FromMilliseconds(400)) : Success);
        }, CancellationToken.None);

        Assert.Equal(AttemptOutcome.Succeeded, last.Outcome);
        Assert.Equal(2, attempts);
        Assert.True(Stopwatch.GetElapsedTime(started[0], started[1]) >= TimeSpan.FromMilliseconds(390));
    }

    [Fact]
    public async Task Transient_attempts_are_bounded_and_the_last_is_returned()
    {
        using var services = new MessagesServices(settings: FastBackoff);

        var (last, attempts) = await services.Resilience.ExecuteAsync(Guid.NewGuid(), (_, _) => ValueTask.FromResult(Transient()), CancellationToken.None);

        Assert.Equal(4, attempts);
        Assert.Equal(AttemptOutcome.Transient, last.Outcome);
    }

    [Theory]
    [InlineData(AttemptOutcome.RowFailed)]
    [InlineData(AttemptOutcome.PauseJob)]
    [InlineData(AttemptOutcome.Succeeded)]
    public async Task Outcomes_that_are_not_transient_are_never_retried(AttemptOutcome outcome)
    {
        using var services = new MessagesServices(settings: FastBackoff);

        var (last, attempts) = await services.Resilience.ExecuteAsync(
            Guid.NewGuid(), (_, _) => ValueTask.FromResult(new MessagesAttempt { Outcome = outcome }), CancellationToken.None);

        Assert.Equal(1, attempts);
        Assert.Equal(outcome, last.Outcome);
    }

    [Fact]
    public async Task A_failing_account_opens_its_circuit_and_sends_nothing_while_open()
    {
        using var services = new MessagesServices(settings: new(FastBackoff)
        {
            ["MaxAttempts"] = "1",
            ["CircuitMinimumThroughput"] = "4",
            ["CircuitFailureRatio"] = "0.5",
            ["CircuitBreakDuration"] = "00:01:00",
        });
        var account = Guid.NewGuid();
        var sent = 0;
        ValueTask<MessagesAttempt> Fail(int n, CancellationToken token)
        {
            Interlocked.Increment(ref sent);
            return ValueTask.FromResult(new MessagesAttempt { Outcome = AttemptOutcome.Transient, HttpStatus = 529 });
        }

        for (var i = 0; i < 4; i++)
        {
            await services.Resilience.ExecuteAsync(account, Fail, CancellationToken.None);
        }
        var (blocked, _) = await services.Resilience.ExecuteAsync(account, Fail, CancellationToken.None);
        var (other, _) = await services.Resilience.ExecuteAsync(Guid.NewGuid(), (_, _) => ValueTask.FromResult(Success), CancellationToken.None);

        Assert.Equal(4, sent);
        Assert.Equal("circuit_open", blocked.Error!.Type);
        Assert.Equal(AttemptOutcome.Succeeded, other.Outcome);
    }
}

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

    [Fact]
    public async Task A_row_waits_out_an_open_circuit_without_spending_its_attempts()
    {
        using var services = CircuitServices(maxAttempts: 2, TimeSpan.FromMilliseconds(500));
        var account = await OpenCircuitAsync(services);

        // The first request after the break is the circuit's one test; it is held out, so the circuit stays half open.
        var testSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var testAnswer = new TaskCompletionSource<MessagesAttempt>(TaskCreationOptions.RunContinuationsAsynchronously);
        var test = services.Resilience.ExecuteAsync(account, async (_, _) =>
        {
            testSent.TrySetResult();
            return await testAnswer.Task;
        }, CancellationToken.None, waitOutOpenCircuit: true);
        await testSent.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var rowSends = 0;
        var row = services.Resilience.ExecuteAsync(account, (_, _) =>
        {
            Interlocked.Increment(ref rowSends);
            return ValueTask.FromResult(Success);
        }, CancellationToken.None, waitOutOpenCircuit: true);
        // A caller that does not wait gives up at once: each refusal is one of its two tries.
        var (gaveUp, gaveUpSends) = await services.Resilience.ExecuteAsync(account, (_, _) => ValueTask.FromResult(Success), CancellationToken.None);
        Assert.Equal(("circuit_open", 0), (gaveUp.Error?.Type, gaveUpSends));
        // The row is still waiting, with nothing sent, when its circuit has refused it longer than two tries of backoff take.
        Assert.NotSame(row, await Task.WhenAny(row, Task.Delay(TimeSpan.FromSeconds(1))));
        Assert.Equal(0, Volatile.Read(ref rowSends));

        testAnswer.SetResult(Success);
        var (last, sends) = await row;
        Assert.Equal((AttemptOutcome.Succeeded, 1, 1), (last.Outcome, sends, rowSends));
        Assert.Equal((AttemptOutcome.Succeeded, 1), ((await test).Last.Outcome, (await test).Attempts));
        // Operators read why the rows stood still: once when it opened, once when it closed.
        Assert.Single(services.Logs, line => line.Contains($"circuit of account {account} opened", StringComparison.Ordinal) && line.Contains("HTTP 503", StringComparison.Ordinal));
        Assert.Single(services.Logs, line => line.Contains($"circuit of account {account} closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Waiting_out_an_open_circuit_ends_when_the_caller_cancels()
    {
        using var services = CircuitServices(maxAttempts: 1, TimeSpan.FromMinutes(10));
        var account = await OpenCircuitAsync(services);
        using var stop = new CancellationTokenSource();
        var sent = 0;

        var waiting = services.Resilience.ExecuteAsync(account, (_, _) =>
        {
            Interlocked.Increment(ref sent);
            return ValueTask.FromResult(Success);
        }, stop.Token, waitOutOpenCircuit: true);
        Assert.False(waiting.IsCompleted);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, sent);
    }

    /// <summary>A circuit that two failures in a row open.</summary>
    private static MessagesServices CircuitServices(int maxAttempts, TimeSpan breakDuration) => new(settings: new(FastBackoff)
    {
        ["MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["CircuitMinimumThroughput"] = "2",
        ["CircuitFailureRatio"] = "0.5",
        ["CircuitBreakDuration"] = breakDuration.ToString("c"),
    });

    private static async Task<Guid> OpenCircuitAsync(MessagesServices services)
    {
        var account = Guid.NewGuid();
        var failing = new MessagesAttempt { Outcome = AttemptOutcome.Transient, HttpStatus = 503 };
        for (var i = 0; i < 2; i++)
        {
            await services.Resilience.ExecuteAsync(account, (_, _) => ValueTask.FromResult(failing), CancellationToken.None);
        }
        return account;
    }
}

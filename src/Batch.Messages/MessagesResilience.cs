using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;

namespace Batch.Messages;

/// <summary>
/// Retries transient attempts (after <c>retry-after</c> when the server gave one, else with jittered
/// exponential backoff, a bounded number of times) behind a circuit breaker of the account. The caller's
/// attempt callback takes budget, sends and settles, so every retry pays for itself in the shared budget.
/// </summary>
public sealed class MessagesResilience(IOptionsMonitor<MessagesOptions> options, TimeProvider time)
{
    private readonly ResiliencePipelineRegistry<Guid> _pipelines = new();

    /// <summary>Runs <paramref name="attempt"/> until it is not transient or attempts run out; returns the last attempt and how many there were.</summary>
    /// <param name="attempt">One attempt; given the 1-based attempt number. Cancellation stops waiting between attempts.</param>
    public async Task<(MessagesAttempt Last, int Attempts)> ExecuteAsync(
        Guid accountId,
        Func<int, CancellationToken, ValueTask<MessagesAttempt>> attempt,
        CancellationToken cancellationToken)
    {
        var pipeline = _pipelines.GetOrAddPipeline<MessagesAttempt>(accountId, Build);
        var attempts = 0;
        try
        {
            var last = await pipeline.ExecuteAsync(
                async token => await attempt(Interlocked.Increment(ref attempts), token),
                cancellationToken);
            return (last, attempts);
        }
        catch (BrokenCircuitException e)
        {
            return (new MessagesAttempt
            {
                Outcome = AttemptOutcome.Transient,
                RetryAfter = e.RetryAfter,
                Error = new ApiError("circuit_open", "The account's endpoint failed too often; no request was sent"),
            }, attempts);
        }
    }

    private void Build(ResiliencePipelineBuilder<MessagesAttempt> builder)
    {
        var settings = options.CurrentValue;
        builder.TimeProvider = time;
        if (settings.MaxAttempts > 1)
        {
            AddRetry(builder, settings);
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<MessagesAttempt>
        {
            FailureRatio = settings.CircuitFailureRatio,
            SamplingDuration = settings.CircuitSamplingDuration,
            MinimumThroughput = settings.CircuitMinimumThroughput,
            BreakDuration = settings.CircuitBreakDuration,
            // Rate limits are the budget's business; only a failing endpoint opens the circuit.
            ShouldHandle = static args => ValueTask.FromResult(
                args.Outcome.Result is { Outcome: AttemptOutcome.Transient, HttpStatus: null or >= 500 }),
        });
    }

    private static void AddRetry(ResiliencePipelineBuilder<MessagesAttempt> builder, MessagesOptions settings) =>
        builder.AddRetry(new RetryStrategyOptions<MessagesAttempt>
        {
            MaxRetryAttempts = settings.MaxAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = settings.BaseDelay,
            MaxDelay = settings.MaxDelay,
            ShouldHandle = static args => ValueTask.FromResult(
                args.Outcome.Exception is BrokenCircuitException || args.Outcome.Result?.Outcome == AttemptOutcome.Transient),
            DelayGenerator = static args => ValueTask.FromResult(
                args.Outcome.Result?.RetryAfter ?? (args.Outcome.Exception as BrokenCircuitException)?.RetryAfter),
        });
}

using Microsoft.Extensions.Logging;
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
public sealed partial class MessagesResilience(IOptionsMonitor<MessagesOptions> options, TimeProvider time, ILogger<MessagesResilience> logger)
{
    private static readonly ResiliencePropertyKey<Sends> SendsKey = new("batch.sends");

    private readonly ResiliencePipelineRegistry<Guid> _pipelines = new();

    /// <summary>Runs <paramref name="attempt"/> until it is not transient or attempts run out; returns the last attempt and how many were sent.</summary>
    /// <param name="attempt">One attempt; given the 1-based attempt number. Cancellation stops waiting between attempts.</param>
    /// <param name="waitOutOpenCircuit">
    /// While the account's circuit is open nothing is sent. False: each refusal counts as an attempt, and the last one is
    /// returned as <c>circuit_open</c> (a caller that polls again later). True: the call waits for the circuit, and only
    /// attempts sent count (a row, which should not fail for an endpoint that heals; its caller's cancellation bounds the wait).
    /// </param>
    public async Task<(MessagesAttempt Last, int Attempts)> ExecuteAsync(
        Guid accountId,
        Func<int, CancellationToken, ValueTask<MessagesAttempt>> attempt,
        CancellationToken cancellationToken,
        bool waitOutOpenCircuit = false)
    {
        var pipeline = _pipelines.GetOrAddPipeline<MessagesAttempt>(accountId, (builder, context) => Build(builder, context.PipelineKey));
        var sends = new Sends(waitOutOpenCircuit);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(SendsKey, sends);
        try
        {
            var last = await pipeline.ExecuteAsync(
                static async (context, state) => await state.attempt(Interlocked.Increment(ref state.sends.Count), context.CancellationToken),
                context,
                (attempt, sends));
            return (last, sends.Count);
        }
        catch (BrokenCircuitException e)
        {
            return (new MessagesAttempt
            {
                Outcome = AttemptOutcome.Transient,
                RetryAfter = e.RetryAfter,
                Error = new ApiError("circuit_open", "The account's endpoint failed too often; no request was sent"),
            }, sends.Count);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private void Build(ResiliencePipelineBuilder<MessagesAttempt> builder, Guid accountId)
    {
        var settings = options.CurrentValue;
        builder.TimeProvider = time;
        AddRetry(builder, settings);
        var open = 0;
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<MessagesAttempt>
        {
            FailureRatio = settings.CircuitFailureRatio,
            SamplingDuration = settings.CircuitSamplingDuration,
            MinimumThroughput = settings.CircuitMinimumThroughput,
            BreakDuration = settings.CircuitBreakDuration,
            // Rate limits are the budget's business; only a failing endpoint opens the circuit.
            ShouldHandle = static args => ValueTask.FromResult(
                args.Outcome.Result is { Outcome: AttemptOutcome.Transient, HttpStatus: null or >= 500 }),
            // Rows that wait for the circuit make no progress: the log says why a job stands still, and when it goes on.
            OnOpened = args =>
            {
                // Logged when it opens, not again each time a break's test request fails.
                if (Interlocked.Exchange(ref open, 1) == 0)
                {
                    LogCircuitOpened(logger, accountId, args.Outcome.Result?.HttpStatus, args.Outcome.Result?.Error?.Type, args.BreakDuration);
                }
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                Interlocked.Exchange(ref open, 0);
                LogCircuitClosed(logger, accountId);
                return ValueTask.CompletedTask;
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The circuit of account {AccountId} opened after too many server failures (last: HTTP {Status} {ErrorType}); its rows wait, and one test request goes every {BreakDuration}")]
    private static partial void LogCircuitOpened(ILogger logger, Guid accountId, int? status, string? errorType, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "The circuit of account {AccountId} closed: its endpoint answers again")]
    private static partial void LogCircuitClosed(ILogger logger, Guid accountId);

    // The count of tries is the pipeline's own (refusals of an open circuit included), unless the caller waits the circuit
    // out: then only what was sent counts, and a refusal is retried once the circuit may let a request through.
    private static void AddRetry(ResiliencePipelineBuilder<MessagesAttempt> builder, MessagesOptions settings) =>
        builder.AddRetry(new RetryStrategyOptions<MessagesAttempt>
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = settings.BaseDelay,
            MaxDelay = settings.MaxDelay,
            ShouldHandle = args =>
            {
                var sends = args.Context.Properties.GetValue(SendsKey, Sends.Counted);
                var tries = sends.WaitOutOpenCircuit ? Volatile.Read(ref sends.Count) : args.AttemptNumber + 1;
                return ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: BrokenCircuitException } => sends.WaitOutOpenCircuit || tries < settings.MaxAttempts,
                    { Result.Outcome: AttemptOutcome.Transient } => tries < settings.MaxAttempts,
                    _ => false,
                });
            },
            DelayGenerator = args =>
            {
                var waits = args.Context.Properties.GetValue(SendsKey, Sends.Counted).WaitOutOpenCircuit;
                return ValueTask.FromResult(args.Outcome switch
                {
                    // A circuit half open refuses without a retry-after while its one test request is out: look again after a break.
                    { Exception: BrokenCircuitException e } => e.RetryAfter ?? (waits ? settings.CircuitBreakDuration : null),
                    _ => args.Outcome.Result?.RetryAfter,
                });
            },
        });

    private sealed class Sends(bool waitOutOpenCircuit)
    {
        public static readonly Sends Counted = new(false);

        public readonly bool WaitOutOpenCircuit = waitOutOpenCircuit;
        public int Count;
    }
}

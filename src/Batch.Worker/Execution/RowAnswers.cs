using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Messages;
using Batch.Worker.Requests;

namespace Batch.Worker.Execution;

/// <summary>
/// The answers one claim of a row was sent for. A schema job asks again while an answer does not match, and each
/// answer is a paid request: the row's usage and cost are the sums over every answer, not the last one's.
/// </summary>
/// <param name="model">The model the request named: every answer is priced at it, as the spend caps reserved.</param>
internal sealed class RowAnswers(JobContext job, string model, TimeProvider time)
{
    /// <summary>The last attempt: the answer recorded, or the failure that ended the row.</summary>
    public MessagesAttempt Last { get; private set; } = null!;

    /// <summary>The latest answer that came back, paid for whether or not it matched; null while none has.</summary>
    public MessagesAttempt? Answer { get; private set; }

    /// <summary>
    /// Why an answer that did not match was not asked for again though retries were left: the retry was refused,
    /// failed, or abandoned as the process stopped. The answer is still recorded, since it was paid for.
    /// </summary>
    public string? NotAskedAgain { get; private set; }

    /// <summary>HTTP attempts over every send, transient retries included.</summary>
    public int Attempts { get; private set; }

    public TokenUsage Usage { get; private set; }

    /// <summary>Null until an answer of a priced model arrives.</summary>
    public decimal? CostUsd { get; private set; }

    /// <summary>The price row of the latest priced answer (the rollup keeps one per row).</summary>
    public Guid? PriceId { get; private set; }

    public decimal CacheSavingsUsd { get; private set; }

    /// <summary>The last answer read against the job's schema; null for free-text jobs or when no answer came.</summary>
    public AnswerCheck? Check { get; private set; }

    /// <param name="format">How the request asks for the schema; null when the job has none.</param>
    /// <param name="send">One send under the retry pipeline: its last attempt and how many attempts it took.</param>
    public async Task<RowAnswers> CollectAsync(AnswerFormat? format, Func<Task<(MessagesAttempt Last, int Attempts)>> send)
    {
        for (var sent = 0; ; sent++)
        {
            MessagesAttempt last;
            int attempts;
            try
            {
                (last, attempts) = await send();
            }
            catch (OperationCanceledException) when (Answer is not null)
            {
                // The retry's request was abandoned unanswered: it is not counted, but the answer before it must be kept.
                NotAskedAgain = "the retry was abandoned as the job or process stopped";
                return this;
            }
            Last = last;
            Attempts += attempts;
            if (last.Outcome != AttemptOutcome.Succeeded)
            {
                if (Answer is not null)
                {
                    NotAskedAgain = $"the retry failed ({last.Error?.Type ?? $"HTTP {last.HttpStatus}"}: {last.Error?.Message})";
                }
                return this;
            }
            Answer = last;
            Add(last.Message!);
            if (format is not { } asked || job.Output is not { } output)
            {
                return this;
            }
            Check = output.Read(last.Message!, asked);
            if (!Check.MayRetry || sent >= output.Retries)
            {
                return this;
            }
        }
    }

    private void Add(MessageResponse message)
    {
        var usage = message.Usage;
        long write5m = usage.CacheWrite5mTokens, write1h = usage.CacheWrite1hTokens;
        if (write5m + write1h == 0 && usage.CacheCreationInputTokens > 0)
        {
            // No split given (older gateways): the writes were of the TTL the request asked for.
            (write5m, write1h) = job.CacheTtl == CacheTtl.OneHour ? (0L, (long)usage.CacheCreationInputTokens) : (usage.CacheCreationInputTokens, 0L);
        }
        var tokens = new TokenUsage(usage.InputTokens, write5m, write1h, usage.CacheReadInputTokens, usage.OutputTokens);
        var now = time.GetUtcNow();
        // Priced at the model the request named; a gateway's own model name only when that has no price.
        var price = job.Prices.Price(model, now, tokens) ?? (message.Model is { } answered ? job.Prices.Price(answered, now, tokens) : null);
        Usage = new TokenUsage(
            Usage.Input + tokens.Input, Usage.CacheWrite5m + tokens.CacheWrite5m, Usage.CacheWrite1h + tokens.CacheWrite1h,
            Usage.CacheRead + tokens.CacheRead, Usage.Output + tokens.Output);
        if (price is { } paid)
        {
            CostUsd = (CostUsd ?? 0) + paid.CostUsd;
            CacheSavingsUsd += paid.CacheSavingsUsd;
            PriceId = paid.PriceId;
        }
    }
}

using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Messages;

namespace Batch.Worker.Execution;

/// <summary>The outcome of one row, as it is written to <c>job_rows</c> and added to the job's counters.</summary>
/// <param name="LeaseToken">The claim that sent it: the write only lands while that claim still holds the row.</param>
/// <param name="Attempts">HTTP attempts made under this claim (a schema job's repeated questions included).</param>
/// <param name="Usage">Tokens of every answer under this claim: each is a paid request.</param>
/// <param name="CostUsd">The cost of every answer under this claim; null when none was priced.</param>
/// <param name="Model">The model the request named: the row is priced and rolled up under it.</param>
/// <param name="PriceId">The <c>model_prices</c> row <paramref name="CostUsd"/> came from; null when there is no cost.</param>
/// <param name="BatchSavingsUsd">What a discounted tier saved against standard prices (provider batches); 0 otherwise.</param>
/// <param name="Delivery">How the row was answered: a provider batch's rows are priced, and rolled up, apart.</param>
internal sealed record RowResult(
    Guid JobId,
    int Seq,
    Guid LeaseToken,
    RowStatus Status,
    short Attempts,
    TokenUsage Usage,
    decimal? CostUsd,
    string? OutputContent = null,
    string? OutputText = null,
    string? OutputParsed = null,
    string? StopReason = null,
    string? StopSequence = null,
    string? MessageId = null,
    string? RequestId = null,
    string? ResponseModel = null,
    int? LatencyMs = null,
    short? HttpStatus = null,
    string? ErrorType = null,
    string? ErrorMessage = null,
    string? Model = null,
    Guid? PriceId = null,
    decimal CacheSavingsUsd = 0,
    decimal BatchSavingsUsd = 0,
    Delivery Delivery = Delivery.Messages);

/// <summary>Where an answered row becomes a result, whichever way it was sent.</summary>
internal static class SucceededRows
{
    /// <summary>
    /// The row's outcome from its message: usage split by kind, priced at the model the request named (the spend caps reserved
    /// at it) for its delivery, or at the answering model when only that one has a price.
    /// </summary>
    public static RowResult From(
        JobContext job, int seq, Guid leaseToken, MessageResponse message, short attempts, string model, Delivery delivery, DateTimeOffset now,
        string? requestId = null, int? latencyMs = null, short? httpStatus = null)
    {
        var tokens = TokensOf(job, message);
        var price = job.Prices.Price(model, now, tokens, delivery)
            ?? (message.Model is { } answered ? job.Prices.Price(answered, now, tokens, delivery) : null);
        // A schema job's answer is read against its schema; one that does not match fails here (a provider batch does not ask again).
        var check = job.Output?.Read(message, job.Output.FormatFor(model));
        return new RowResult(job.Id, seq, leaseToken, check?.ErrorType is null ? RowStatus.Succeeded : RowStatus.Failed, attempts, tokens, price?.CostUsd,
            OutputContent: message.Content.GetRawText(),
            OutputText: check?.OutputText ?? message.OutputText,
            OutputParsed: check?.Parsed,
            ErrorType: check?.ErrorType,
            ErrorMessage: check?.ErrorMessage,
            StopReason: message.StopReason,
            StopSequence: message.StopSequence,
            MessageId: message.Id,
            RequestId: requestId,
            ResponseModel: message.Model,
            LatencyMs: latencyMs,
            HttpStatus: httpStatus,
            Model: model,
            PriceId: price?.PriceId,
            CacheSavingsUsd: price?.CacheSavingsUsd ?? 0,
            BatchSavingsUsd: price?.BatchSavingsUsd ?? 0,
            Delivery: delivery);
    }

    /// <summary>The message's usage by kind: cache writes split by TTL.</summary>
    public static TokenUsage TokensOf(JobContext job, MessageResponse message)
    {
        var usage = message.Usage;
        long write5m = usage.CacheWrite5mTokens, write1h = usage.CacheWrite1hTokens;
        if (write5m + write1h == 0 && usage.CacheCreationInputTokens > 0)
        {
            // No split given (older gateways): the writes were of the TTL the request asked for.
            (write5m, write1h) = job.CacheTtl == CacheTtl.OneHour ? (0L, (long)usage.CacheCreationInputTokens) : (usage.CacheCreationInputTokens, 0L);
        }
        return new TokenUsage(usage.InputTokens, write5m, write1h, usage.CacheReadInputTokens, usage.OutputTokens);
    }
}

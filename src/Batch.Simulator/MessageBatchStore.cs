using System.Text.Json;

namespace Batch.Simulator;

/// <summary>
/// The batches of one simulator, processed first come, first served at <see cref="SimulatorOptions.BatchRequestsPerSecond"/>
/// after <see cref="SimulatorOptions.BatchQueueDelayMs"/>. Processing happens lazily under one lock whenever the API is
/// asked, up to the clock; requests of a batch share the prompt cache in order (the first writes a prefix, the rest read
/// it), use no rate budget and are charged <see cref="SimulatorOptions.BatchPriceMultiplier"/> of the prices.
/// </summary>
internal sealed class MessageBatchStore(SimulatorState state)
{
    private readonly Lock _gate = new();
    private readonly List<MessageBatch> _batches = [];
    private readonly Dictionary<string, MessageBatch> _byId = new(StringComparer.Ordinal);
    private long _busyUntilTicks;
    private long _draws;

    /// <summary>The new batch, or null when its requests would pass the queue limit.</summary>
    public MessageBatch? Create(List<MessageBatchItem> items)
    {
        var options = state.Options;
        lock (_gate)
        {
            var now = Now();
            Advance(now);
            var waiting = _batches.Where(b => b.EndedTicks is null).Sum(b => (long)b.Items.Length - b.Handled);
            if (options.BatchQueueLimit > 0 && waiting + items.Count > options.BatchQueueLimit)
            {
                state.Stats.BatchCreateRefused();
                return null;
            }
            state.Stats.BatchQueued(waiting + items.Count);
            var firstDue = Math.Max(now + Ticks(options.BatchQueueDelayMs), _busyUntilTicks);
            var batch = new MessageBatch(Ids.MessageBatch(), [.. items], [.. items.Select(Draw)], now,
                now + (long)(options.BatchExpirySeconds * TimeSpan.TicksPerSecond), firstDue, options.BatchRequestsPerSecond);
            _busyUntilTicks = batch.DueTicks(items.Count - 1);
            _batches.Add(batch);
            _byId[batch.Id] = batch;
            state.Stats.BatchSubmitted(items.Count);
            foreach (var item in items.Where(i => i.Invalid is null))
            {
                state.Stats.PromptSent(item.PromptKey);
            }
            batch.View = batch.Snapshot(now);
            return batch;
        }
    }

    /// <summary>The batch as of now; null when there is none (or it was deleted).</summary>
    public MessageBatch? Find(string id)
    {
        lock (_gate)
        {
            var now = Now();
            Advance(now);
            return Visible(id, now);
        }
    }

    /// <summary>Newest first, <paramref name="limit"/> at most, after (older than) or before (newer than) a cursor; null for an unknown cursor.</summary>
    public (List<MessageBatch> Batches, bool HasMore)? List(int limit, string? afterId, string? beforeId)
    {
        lock (_gate)
        {
            var now = Now();
            Advance(now);
            var newestFirst = _batches.Where(b => !b.Deleted).Reverse().ToList();
            foreach (var batch in newestFirst)
            {
                batch.View = batch.Snapshot(now);
            }
            if (beforeId is not null)
            {
                var end = newestFirst.FindIndex(b => b.Id == beforeId);
                if (end < 0)
                {
                    return null;
                }
                var start = Math.Max(0, end - limit);
                return (newestFirst[start..end], start > 0);
            }
            var from = 0;
            if (afterId is not null)
            {
                from = newestFirst.FindIndex(b => b.Id == afterId) + 1;
                if (from == 0)
                {
                    return null;
                }
            }
            var page = newestFirst.Skip(from).Take(limit).ToList();
            return (page, from + page.Count < newestFirst.Count);
        }
    }

    /// <summary>
    /// Requests not yet processed are canceled; the batch is <c>canceling</c> for <see cref="SimulatorOptions.BatchCancelDelayMs"/>,
    /// then ended. A batch that has ended is answered as it is.
    /// </summary>
    public MessageBatch? Cancel(string id)
    {
        lock (_gate)
        {
            var now = Now();
            Advance(now);
            var batch = Visible(id, now);
            if (batch is null || batch.EndedTicks is not null)
            {
                return batch;
            }
            var canceled = batch.Items.Length - batch.Handled;
            for (var index = batch.Handled; index < batch.Items.Length; index++)
            {
                batch.Lines[index] = Line(batch.Items[index].CustomId, "canceled");
            }
            batch.Handled = batch.Items.Length;
            batch.Canceled += canceled;
            batch.CancelInitiatedTicks = now;
            batch.EndedTicks = now + Ticks(state.Options.BatchCancelDelayMs);
            // The capacity it held goes to the batches still waiting, from now on.
            _busyUntilTicks = _batches.Where(b => b.EndedTicks is null).Select(b => b.DueTicks(b.Items.Length - 1)).DefaultIfEmpty(now).Max();
            state.Stats.BatchCanceled(canceled);
            batch.View = batch.Snapshot(now);
            return batch;
        }
    }

    /// <summary>True when deleted; false when it has not ended; null when there is no such batch.</summary>
    public bool? Delete(string id)
    {
        lock (_gate)
        {
            var now = Now();
            Advance(now);
            if (Visible(id, now) is not { } batch)
            {
                return null;
            }
            if (!batch.HasEnded(now))
            {
                return false;
            }
            batch.Deleted = true;
            state.Stats.BatchDeleted();
            return true;
        }
    }

    /// <summary>The result lines of an ended batch, last request first (any order is the API's promise); null before it has ended.</summary>
    public byte[][]? Results(MessageBatch batch)
    {
        lock (_gate)
        {
            return batch.HasEnded(Now()) ? [.. batch.Lines.Reverse().Select(line => line!)] : null;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _batches.Clear();
            _byId.Clear();
            _busyUntilTicks = 0;
            _draws = 0;
        }
    }

    private MessageBatch? Visible(string id, long now)
    {
        if (!_byId.TryGetValue(id, out var batch) || batch.Deleted)
        {
            return null;
        }
        batch.View = batch.Snapshot(now);
        return batch;
    }

    /// <summary>Processes every request that is due, in creation order, and ends batches whose requests are all done or that expired.</summary>
    private void Advance(long now)
    {
        foreach (var batch in _batches)
        {
            if (batch.EndedTicks is not null)
            {
                continue;
            }
            var last = batch.CreatedTicks;
            while (batch.Handled < batch.Items.Length)
            {
                var due = batch.DueTicks(batch.Handled);
                if (due > batch.ExpiresTicks)
                {
                    if (now >= batch.ExpiresTicks)
                    {
                        ExpireRest(batch);
                        last = batch.ExpiresTicks;
                    }
                    break;
                }
                if (due > now)
                {
                    break;
                }
                Process(batch, batch.Handled);
                batch.Handled++;
                last = due;
            }
            if (batch.Handled == batch.Items.Length)
            {
                batch.EndedTicks = last;
            }
        }
    }

    private void ExpireRest(MessageBatch batch)
    {
        for (var index = batch.Handled; index < batch.Items.Length; index++)
        {
            batch.Lines[index] = Line(batch.Items[index].CustomId, "expired");
            batch.Expired++;
            state.Stats.BatchResult("expired");
        }
        batch.Handled = batch.Items.Length;
    }

    /// <summary>A request's injected fate, drawn when its batch is created, so later changes of the options leave it alone.</summary>
    private BatchFate Draw(MessageBatchItem item)
    {
        var options = state.Options;
        var random = DeterministicRandom.Create((ulong)options.Seed, (ulong)++_draws);
        return item.Invalid is not null ? BatchFate.Process
            : random.NextDouble() < options.BatchExpiredProbability ? BatchFate.Expire
            : random.NextDouble() < options.BatchErroredProbability ? BatchFate.Error
            : BatchFate.Process;
    }

    private void Process(MessageBatch batch, int index)
    {
        var item = batch.Items[index];
        switch (batch.Fates[index])
        {
            case BatchFate.Expire:
                batch.Lines[index] = Line(item.CustomId, "expired");
                batch.Expired++;
                state.Stats.BatchResult("expired");
                break;
            case BatchFate.Error:
                Errored(batch, index, ApiError.ServerError());
                break;
            default:
                if (item.Invalid is { } invalid)
                {
                    Errored(batch, index, invalid);
                }
                else
                {
                    Succeed(batch, index, item);
                }
                break;
        }
    }

    private void Succeed(MessageBatch batch, int index, MessageBatchItem item)
    {
        var options = state.Options;
        var request = item.Request!;
        var answer = item.Answer!;
        // Requests of a batch run one after another here, so each written prefix is readable by the next at once.
        var plan = state.Cache.Plan(request, options.CacheMinimumFor(request.Model));
        state.Cache.Commit(plan)?.MarkReadable();
        var usage = new UsageTokens(plan.UncachedInputTokens, plan.Write5mTokens, plan.Write1hTokens, plan.ReadTokens, answer.OutputTokens);
        var message = new MessageResponse(Ids.Message(), "message", "assistant", request.Model, answer.Content, answer.StopReason, answer.StopSequence,
            MessagesEndpoint.ToUsage(usage, "batch"));
        state.Spend.Add(options.PriceFor(request.Model), usage, options.BatchPriceMultiplier);
        state.Stats.TokensUsed(usage);
        state.Stats.PromptAnswered(item.PromptKey);
        state.Stats.BatchResult("succeeded");
        batch.Succeeded++;
        batch.Lines[index] = Line(item.CustomId, "succeeded", writer =>
        {
            writer.WritePropertyName("message");
            JsonSerializer.Serialize(writer, message, SimulatorJsonContext.Api.MessageResponse);
        });
    }

    private void Errored(MessageBatch batch, int index, ApiError error)
    {
        batch.Errored++;
        state.Stats.BatchResult("errored");
        batch.Lines[index] = Line(batch.Items[index].CustomId, "errored", writer =>
        {
            writer.WritePropertyName("error");
            JsonSerializer.Serialize(writer, new ErrorResponse(new ErrorDetail(error.Type, error.Message, null), Ids.Request()), SimulatorJsonContext.Api.ErrorResponse);
        });
    }

    /// <summary><c>{"custom_id": ..., "result": {"type": ..., ...}}</c> as one line of UTF-8.</summary>
    private static byte[] Line(string customId, string type, Action<Utf8JsonWriter>? result = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = SimulatorJsonContext.Api.Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", customId);
            writer.WriteStartObject("result");
            writer.WriteString("type", type);
            result?.Invoke(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private long Now() => state.Time.GetUtcNow().UtcTicks;

    private static long Ticks(double milliseconds) => (long)(milliseconds * TimeSpan.TicksPerMillisecond);
}

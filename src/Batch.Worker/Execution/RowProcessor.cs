using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Budgets;
using Batch.Data.Entities;
using Batch.Messages;
using Batch.Worker.Requests;
using Microsoft.Extensions.Options;

namespace Batch.Worker.Execution;

/// <summary>What became of a claimed row.</summary>
internal enum RowFate
{
    /// <summary>Its outcome was written.</summary>
    Recorded,

    /// <summary>Its outcome was not written: another claim took the row over (our lease had expired).</summary>
    Superseded,

    /// <summary>Not finished (the job stopped, or the process is stopping): give it back.</summary>
    Released,
}

/// <summary>
/// Runs one row: build the request, wait while the job's first rows are out (<see cref="FirstRowsGate"/>) and for the
/// cache warm-up when needed, then attempts under the
/// retry pipeline (each attempt takes budget, sends, settles), then records the outcome.
/// </summary>
internal sealed class RowProcessor(
    IMessagesClient client,
    MessagesResilience resilience,
    IRateBudgets budgets,
    ResultWriter writer,
    CacheWarmth warmth,
    FirstRowsCheck firstRows,
    FirstRowsGate firstRowsGate,
    SpendCapGate caps,
    RowTelemetry telemetry,
    IConfiguration configuration,
    TimeProvider time,
    IOptions<WorkerOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentRequests);

    /// <param name="abort">Cancels requests in flight: only when the process stops.</param>
    public async Task<RowFate> ProcessAsync(JobContext job, ClaimedRow row, Guid leaseToken, ChunkControl control, CancellationToken abort)
    {
        var stopping = control.Stopping;
        if (stopping.IsCancellationRequested)
        {
            return RowFate.Released;
        }
        using var activity = RowTelemetry.StartRow(job, row);

        JsonObject body;
        AnswerFormat? format;
        try
        {
            body = RequestBuilder.Build(job, row.Input, out format);
        }
        catch (Exception e) when (e is RowInputException or JsonException)
        {
            return await RecordAsync(new RowResult(job.Id, row.Seq, leaseToken, RowStatus.Failed, 0, default, null,
                ErrorType: "invalid_row", ErrorMessage: e.Message, Model: job.Model));
        }
        var model = body["model"] is JsonValue named && named.TryGetValue<string>(out var requested) ? requested : job.Model;
        var maxTokens = body["max_tokens"] is JsonValue value && value.TryGetValue<int>(out var tokens) ? tokens : job.MaxTokens;

        IDisposable? firstRowsTicket = null;
        try
        {
            (var decision, firstRowsTicket) = await firstRowsGate.EnterAsync(job.Id, stopping);
            if (decision == FirstRowsGate.Decision.Stop)
            {
                await control.StopSendingAsync();
                return RowFate.Released;
            }
            await _slots.WaitAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            firstRowsTicket?.Dispose();
            return RowFate.Released;
        }
        using var firstRow = firstRowsTicket;
        try
        {
            var warms = job.WarmsCacheFor(body);
            using var warmup = warms ? await warmth.EnterAsync(job, model, stopping) : null;
            if (AccountKeys.Resolve(job, configuration, out var missing) is not { } account)
            {
                await control.PauseJobAsync(missing);
                return RowFate.Released;
            }
            switch (await caps.ReserveAsync(job, row, leaseToken, body, model, maxTokens, control, stopping))
            {
                case CapOutcome.Stop:
                    return RowFate.Released;
                case CapOutcome.LeaseLost:
                    return RowFate.Superseded;
            }
            var demand = Demand(job, row, body, model, maxTokens);

            var answers = await new RowAnswers(job, model, time).CollectAsync(format, () => resilience.ExecuteAsync(
                account.Id,
                async (_, token) =>
                {
                    var lease = await telemetry.WaitForBudgetAsync(() => budgets.AcquireAsync(demand, token));
                    MessagesAttempt attempt;
                    control.RequestSent();
                    try
                    {
                        attempt = await telemetry.SendAsync(job, model, () => client.SendAsync(account, body, abort));
                    }
                    catch (OperationCanceledException)
                    {
                        await budgets.SettleAsync(lease, NotSent, CancellationToken.None);
                        throw;
                    }
                    finally
                    {
                        control.RequestAnswered();
                    }
                    await budgets.SettleAsync(lease, attempt, CancellationToken.None);
                    return attempt;
                },
                stopping,
                waitOutOpenCircuit: true));
            var (last, attempts) = (answers.Last, answers.Attempts);

            if (answers.Answer is not null && warms)
            {
                await warmth.AnsweredAsync(job, model, warmup);
            }
            warmup?.Dispose();

            if (answers.Answer is not null)
            {
                // A paid answer is recorded even when the retry after it failed or was abandoned: its tokens were charged.
                var answered = await RecordAsync(Answered(job, row, leaseToken, answers, model));
                if (last.Outcome == AttemptOutcome.PauseJob)
                {
                    await control.PauseJobAsync(PauseReason(job, last));
                }
                return answered;
            }
            switch (last.Outcome)
            {
                case AttemptOutcome.PauseJob:
                    await control.PauseJobAsync(PauseReason(job, last));
                    return RowFate.Released;
                default:
                    var error = last.Error ?? new ApiError("unknown_error", "No answer");
                    var message = last.Outcome == AttemptOutcome.Transient ? $"{error.Message} (gave up after {attempts} attempts)" : error.Message;
                    var fate = await RecordAsync(new RowResult(job.Id, row.Seq, leaseToken, RowStatus.Failed, (short)attempts, answers.Usage, answers.CostUsd,
                        RequestId: last.RequestId, LatencyMs: Milliseconds(last.Latency), HttpStatus: (short?)last.HttpStatus,
                        ErrorType: error.ErrorCode is { } code ? $"{error.Type}:{code}" : error.Type, ErrorMessage: message, Model: model,
                        PriceId: answers.PriceId, CacheSavingsUsd: answers.CacheSavingsUsd));
                    if (fate == RowFate.Recorded && last.Outcome == AttemptOutcome.RowFailed && FirstRowsCheck.MayBeShared(error.Type)
                        && await firstRows.PauseIfFirstRowsFailedAsync(job.Id, CancellationToken.None))
                    {
                        await control.StopSendingAsync();
                    }
                    return fate;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || abort.IsCancellationRequested)
        {
            return RowFate.Released;
        }
        finally
        {
            _slots.Release();
        }
    }

    private static readonly MessagesAttempt NotSent = new()
    {
        Outcome = AttemptOutcome.Transient,
        Error = new ApiError("canceled", "The request was abandoned before an answer came"),
    };

    private async Task<RowFate> RecordAsync(RowResult result)
    {
        if (!await writer.WriteAsync(result))
        {
            return RowFate.Superseded;
        }
        telemetry.Recorded(result);
        return RowFate.Recorded;
    }

    private BudgetDemand Demand(JobContext job, ClaimedRow row, JsonObject body, string model, int maxTokens)
    {
        var promptCharacters = job.Format == RowFormat.JsonlParams
            ? row.Input.Length + job.SharedPrefixCharacters
            : job.SharedPrefixCharacters + (body["messages"]?[0]?["content"]?.GetValue<string>().Length ?? 0);
        var cached = job.WarmsCache ? job.SharedPrefixCharacters : 0;
        return new BudgetDemand(job.Account.Id, model, job.Id, job.Priority,
            budgets.EstimateInputTokens(job.Id, promptCharacters, cached), maxTokens, promptCharacters, cached);
    }

    /// <summary>The last answer, with the usage and cost of every answer; a schema job's row fails when its answer never matched.</summary>
    private static RowResult Answered(JobContext job, ClaimedRow row, Guid leaseToken, RowAnswers answers, string model)
    {
        var attempt = answers.Answer!;
        var message = attempt.Message!;
        var check = answers.Check;
        var errorMessage = answers.NotAskedAgain is { } why ? $"{check?.ErrorMessage}; not asked again: {why}" : check?.ErrorMessage;
        return new RowResult(job.Id, row.Seq, leaseToken, check?.ErrorType is null ? RowStatus.Succeeded : RowStatus.Failed,
            (short)answers.Attempts, answers.Usage, answers.CostUsd,
            OutputContent: message.Content.GetRawText(),
            OutputText: check?.OutputText ?? message.OutputText,
            OutputParsed: check?.Parsed,
            StopReason: message.StopReason,
            StopSequence: message.StopSequence,
            MessageId: message.Id,
            RequestId: attempt.RequestId,
            ResponseModel: message.Model,
            LatencyMs: Milliseconds(attempt.Latency),
            HttpStatus: (short?)attempt.HttpStatus,
            ErrorType: check?.ErrorType,
            ErrorMessage: errorMessage,
            Model: model,
            PriceId: answers.PriceId,
            CacheSavingsUsd: answers.CacheSavingsUsd);
    }

    private static int Milliseconds(TimeSpan latency) => (int)Math.Min(int.MaxValue, Math.Round(latency.TotalMilliseconds));

    private static string PauseReason(JobContext job, MessagesAttempt attempt)
    {
        var error = attempt.Error;
        var said = $"HTTP {attempt.HttpStatus} {error?.Type}{(error?.ErrorCode is { } code ? $" ({code})" : "")}: {error?.Message}";
        return attempt switch
        {
            { Error.ErrorCode: AttemptClassifier.SpendLimitErrorCode } =>
                $"Account '{job.Account.Name}' reached its spend limit ({said}). Raise the limit or wait for it to reset, then resume.",
            { HttpStatus: 401 or 403 } =>
                $"Account '{job.Account.Name}' was refused ({said}). Fix its key or permissions, then resume.",
            _ => $"Account '{job.Account.Name}' cannot be billed ({said}). Add credit, then resume.",
        };
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Batch.Worker.Execution;

/// <summary>What the spend caps let a row do.</summary>
internal enum CapOutcome
{
    /// <summary>Send it: no cap applies, or its worst case is reserved.</summary>
    Send,

    /// <summary>The job was paused (or had stopped): give the row back.</summary>
    Stop,

    /// <summary>Another claim holds the row now.</summary>
    LeaseLost,
}

/// <summary>
/// Keeps a job (<c>max_cost_usd</c>) and its account (<c>monthly_cost_limit_usd</c>) under their caps with any number of
/// worker processes: before a row is sent, its worst case (every byte of the request a token at the dearest input
/// price, plus max_tokens of output) is reserved on the row in PostgreSQL, against the spend so far plus every other
/// row in flight; the result writer settles it to the actual cost as it records the row. A row whose worst case could
/// cross a cap even with nothing in flight pauses the job, naming the cap and the spend; one that fits once rows in
/// flight settle waits for them.
/// </summary>
internal sealed partial class SpendCapGate(SpendCapStore store, TimeProvider time, IOptions<WorkerOptions> options, ILogger<SpendCapGate> logger)
{
    // Tool use adds a system prompt of its own (a few hundred tokens) that is not in the request's bytes.
    private const int ToolUseAllowanceTokens = 1_024;
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, AccountLimitCheck> _accounts = new();

    // One row of a job per process waits for room at a time; the others queue behind it rather than each polling.
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _jobs = new();

    public async Task<CapOutcome> ReserveAsync(
        JobContext job, ClaimedRow row, Guid leaseToken, JsonObject body, string model, int maxTokens, ChunkControl control, CancellationToken stopping)
    {
        var accountLimited = await AccountHasLimitAsync(job.Account.Id, stopping);
        if (job.MaxCostUsd is null && !accountLimited)
        {
            return CapOutcome.Send;
        }
        var maxInputTokens = JsonSerializer.SerializeToUtf8Bytes(body).Length + (body.ContainsKey("tools") ? ToolUseAllowanceTokens : 0);
        if (job.Prices.WorstCase(model, time.GetUtcNow(), maxInputTokens, maxTokens) is not { } worstCase)
        {
            await control.PauseJobAsync(
                $"The model '{model}' has no price, so the spend cap{(job.MaxCostUsd is null ? $" of account '{job.Account.Name}'" : "")} cannot be kept. Add a price (POST /api/prices), then resume.");
            return CapOutcome.Stop;
        }

        var gate = _jobs.GetOrAdd(job.Id, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(stopping);
        try
        {
            var wait = TimeSpan.FromMilliseconds(20);
            while (true)
            {
                var reservation = await store.ReserveAsync(
                    job.Id, job.Account.Id, row.Seq, leaseToken, worstCase, job.MaxCostUsd is not null, accountLimited, stopping);
                switch (reservation.Verdict)
                {
                    case ReservationVerdict.Reserved:
                        return CapOutcome.Send;
                    case ReservationVerdict.LeaseLost:
                        return CapOutcome.LeaseLost;
                    case ReservationVerdict.JobCapReached:
                        LogCapReached(logger, job.Id, "max_cost_usd", reservation.JobSpentUsd);
                        await control.PauseJobAsync(Invariant(
                            $"Paused at the job's spend cap: {Usd(reservation.JobSpentUsd)} spent of max_cost_usd {Usd(reservation.MaxCostUsd!.Value)}, and the next row could cost up to {Usd(worstCase)}. Raise max_cost_usd (PATCH /api/jobs/{job.Id}) and resume to go on."));
                        return CapOutcome.Stop;
                    case ReservationVerdict.AccountLimitReached:
                        LogCapReached(logger, job.Id, "monthly_cost_limit_usd", reservation.AccountSpentUsd);
                        var month = time.GetUtcNow().ToString("MMMM yyyy", CultureInfo.InvariantCulture);
                        await store.PauseForAccountLimitAsync(job.Id, Invariant(
                            $"Paused at the monthly cost limit of account '{job.Account.Name}': {Usd(reservation.AccountSpentUsd)} spent of monthly_cost_limit_usd {Usd(reservation.MonthlyLimitUsd!.Value)} in {month} (UTC), and the next row could cost up to {Usd(worstCase)}. The job resumes by itself when the month turns or the limit is raised."),
                            worstCase, CancellationToken.None);
                        await control.StopSendingAsync();
                        return CapOutcome.Stop;
                    default:
                        // Room held by rows in flight: theirs settle soon, or, if their process died, once their leases expire.
                        await store.FreeExpiredReservationsAsync(stopping);
                        await Task.Delay(wait, time, stopping);
                        wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestWait.Ticks));
                        break;
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Read at most once per status poll per account and process, so a limit set on a running account applies within a
    /// second; every row in between shares the one read (hundreds in flight must not each open a connection).
    /// </summary>
    private Task<bool> AccountHasLimitAsync(Guid accountId, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var check = _accounts.GetOrAdd(accountId, static _ => new AccountLimitCheck());
        lock (check)
        {
            if (check.Reading is null || (check.Reading.IsCompleted && time.GetElapsedTime(check.StartedAt, now) >= options.Value.StatusPollInterval)
                || check.Reading.IsFaulted)
            {
                check.StartedAt = now;
                check.Reading = store.AccountHasLimitAsync(accountId, CancellationToken.None);
            }
            return check.Reading.WaitAsync(cancellationToken);
        }
    }

    private static string Usd(decimal amount) => "$" + amount.ToString("0.########", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class AccountLimitCheck
    {
        public Task<bool>? Reading;
        public long StartedAt;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} paused at its {Cap}: {SpentUsd} USD spent")]
    private static partial void LogCapReached(ILogger logger, Guid jobId, string cap, decimal spentUsd);
}

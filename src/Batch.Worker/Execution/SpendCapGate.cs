using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Budgets;
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
/// price, plus max_tokens of output, times the sends a schema job's retries may take) is reserved on the row in
/// PostgreSQL, against the spend so far plus every other row in flight; the result writer settles it to the actual cost
/// as it records the row. A row whose worst case could cross a cap even with nothing in flight pauses the job, naming
/// the cap and the spend; one that fits once rows in flight settle waits for them.
/// </summary>
internal sealed partial class SpendCapGate(SpendCapStore store, TimeProvider time, IOptions<WorkerOptions> options, ILogger<SpendCapGate> logger)
{
    // Tool use adds a system prompt of its own (a few hundred tokens) that is not in the request's bytes.
    public const int ToolUseAllowanceTokens = 1_024;
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);

    private readonly RunningJobsMap<JobCaps> _jobs = new(time);

    public async Task<CapOutcome> ReserveAsync(
        JobContext job, ClaimedRow row, Guid leaseToken, JsonObject body, string model, int maxTokens, ChunkControl control, CancellationToken stopping)
    {
        var (jobCapped, accountLimited) = await CapsAsync(job.Id, stopping);
        if (!jobCapped && !accountLimited)
        {
            return CapOutcome.Send;
        }
        var maxInputTokens = JsonSerializer.SerializeToUtf8Bytes(body).Length + (body.ContainsKey("tools") ? ToolUseAllowanceTokens : 0);
        if (job.Prices.WorstCase(model, time.GetUtcNow(), maxInputTokens, maxTokens) is not { } worstCaseOfOneSend)
        {
            await control.PauseJobAsync(
                $"The model '{model}' has no price, so the spend cap{(jobCapped ? "" : $" of account '{job.Account.Name}'")} cannot be kept. Add a price (POST /api/prices), then resume.");
            return CapOutcome.Stop;
        }

        // A schema job may send the row again for each schema retry, and every answer is paid: the row's worst case is all of them.
        var worstCase = worstCaseOfOneSend * (1 + (job.Output?.Retries ?? 0));

        var gate = _jobs.GetOrAdd(job.Id, static _ => new JobCaps()).OneWaiter;
        await gate.WaitAsync(stopping);
        try
        {
            var wait = TimeSpan.FromMilliseconds(20);
            while (true)
            {
                var reservation = await store.ReserveAsync(
                    job.Id, job.Account.Id, row.Seq, leaseToken, worstCase, jobCapped, accountLimited, stopping);
                switch (reservation.Verdict)
                {
                    case ReservationVerdict.Reserved:
                        return CapOutcome.Send;
                    case ReservationVerdict.LeaseLost:
                        return CapOutcome.LeaseLost;
                    case ReservationVerdict.JobCapReached:
                        if (await store.PauseAtJobCapAsync(job.Id, JobCapReason(job.Id, reservation.JobSpentUsd, reservation.MaxCostUsd!.Value, worstCase, "the next row"),
                            worstCase, CancellationToken.None))
                        {
                            LogCapReached(logger, job.Id, "max_cost_usd", reservation.JobSpentUsd);
                            await control.StopSendingAsync();
                            return CapOutcome.Stop;
                        }
                        break;
                    case ReservationVerdict.AccountLimitReached:
                        if (await store.PauseAtAccountLimitAsync(job.Id,
                            AccountLimitReason(job.Account.Name, reservation.AccountSpentUsd, reservation.MonthlyLimitUsd!.Value, worstCase, time.GetUtcNow(), "the next row"),
                            worstCase, CancellationToken.None))
                        {
                            LogCapReached(logger, job.Id, "monthly_cost_limit_usd", reservation.AccountSpentUsd);
                            await control.StopSendingAsync();
                            return CapOutcome.Stop;
                        }
                        break;
                    default:
                        // Room held by rows in flight: theirs settle soon, or, if their process died, once their leases expire.
                        await store.FreeExpiredReservationsAsync(stopping);
                        break;
                }
                // Waiting for room, or the cap changed (or the job stopped) between the verdict and the pause: look again soon.
                await Task.Delay(wait, time, stopping);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestWait.Ticks));
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Which caps apply, read at most once per status poll per job and process, so a cap set on a running job or its
    /// account applies within a second; every row in between shares the one read (hundreds in flight must not each
    /// open a connection).
    /// </summary>
    private Task<(bool JobCapped, bool AccountLimited)> CapsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var check = _jobs.GetOrAdd(jobId, static _ => new JobCaps()).Check;
        lock (check)
        {
            if (check.Reading is null || check.Reading.IsFaulted
                || (check.Reading.IsCompleted && time.GetElapsedTime(check.StartedAt, now) >= options.Value.StatusPollInterval))
            {
                check.StartedAt = now;
                check.Reading = store.CapsAsync(jobId, CancellationToken.None);
            }
            return check.Reading.WaitAsync(cancellationToken);
        }
    }

    /// <param name="what">What would cross the cap: "the next row", or a provider batch's next slice.</param>
    public static string JobCapReason(Guid jobId, decimal spentUsd, decimal maxCostUsd, decimal worstCaseUsd, string what) => Invariant(
        $"Paused at the job's spend cap: {Usd(spentUsd)} spent of max_cost_usd {Usd(maxCostUsd)}, and {what} could cost up to {Usd(worstCaseUsd)}. Raise max_cost_usd (PATCH /api/jobs/{jobId}) and resume to go on.");

    public static string AccountLimitReason(string accountName, decimal spentUsd, decimal limitUsd, decimal worstCaseUsd, DateTimeOffset now, string what) => Invariant(
        $"Paused at the monthly cost limit of account '{accountName}': {Usd(spentUsd)} spent of monthly_cost_limit_usd {Usd(limitUsd)} in {now.ToString("MMMM yyyy", CultureInfo.InvariantCulture)} (UTC), and {what} could cost up to {Usd(worstCaseUsd)}. The job resumes by itself when the month turns or the limit is raised.");

    private static string Usd(decimal amount) => "$" + amount.ToString("0.########", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class JobCaps
    {
        /// <summary>One row of a job per process waits for room at a time; the others queue behind it rather than each polling.</summary>
        public SemaphoreSlim OneWaiter { get; } = new(1, 1);

        public CapsCheck Check { get; } = new();
    }

    private sealed class CapsCheck
    {
        public Task<(bool JobCapped, bool AccountLimited)>? Reading;
        public long StartedAt;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} paused at its {Cap}: {SpentUsd} USD spent")]
    private static partial void LogCapReached(ILogger logger, Guid jobId, string cap, decimal spentUsd);
}

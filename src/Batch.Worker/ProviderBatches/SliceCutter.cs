using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Data.Entities;
using Batch.Data.Rows;
using Batch.Jobs;
using Batch.Messages;
using Batch.Worker.Execution;
using Batch.Worker.Requests;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Batch.Worker.ProviderBatches;

/// <summary>What cutting the next slice came to.</summary>
internal enum CutOutcome
{
    /// <summary>An intent is committed: its rows are leased to it and its worst case reserved. Submit it.</summary>
    Cut,

    /// <summary>No row is waiting to go by slice.</summary>
    NothingToSend,

    /// <summary>The account's requests waiting at the provider are at its queue limit: wait for slices to end.</summary>
    QueueFull,

    /// <summary>A spend cap leaves room only once slices in flight settle: wait.</summary>
    WaitForCaps,

    /// <summary>The job was paused (a cap it cannot fit under, a model without a price).</summary>
    Stopped,
}

/// <summary>
/// Cuts a job's next slice: pending rows in order (uploaded blocks expanded as needed), each built into its request exactly as
/// a Messages request would be, until the account's <c>batch_max_requests</c>, <c>batch_max_bytes</c> or room in its queue is
/// reached; then, in one transaction, takes the account's queue room, fits the slice under the spend caps (each row's worst
/// case at batch prices, reserved on the row), leases the rows to the slice and commits the intent. The create call comes
/// after the commit, so a crash at any point leaves either nothing or an intent that recovery resolves.
/// </summary>
internal sealed partial class SliceCutter(
    NpgsqlDataSource dataSource,
    SliceStore store,
    SpendCapStore caps,
    RowStore rows,
    ResultWriter writer,
    TimeProvider time,
    IOptionsMonitor<ProviderBatchOptions> options,
    IOptionsMonitor<SliceSizing> sizing,
    ILogger<SliceCutter> logger)
{
    private const int BlocksPerExpansion = 10;

    private sealed record Candidate(int Seq, long Bytes, decimal WorstCaseUsd);

    /// <param name="firstSendsOnly">Rows sent before (retries) stay out: the deadline leaves no room for another provider window.</param>
    public async Task<(CutOutcome Outcome, Slice? Slice)> CutAsync(JobContext job, bool firstSendsOnly, CancellationToken cancellationToken)
    {
        var account = job.Account;
        var room = account.BatchQueueLimit - await store.QueuedRequestsAsync(account.Id, cancellationToken);
        if (room <= 0)
        {
            return (CutOutcome.QueueFull, null);
        }
        var (jobCapped, accountLimited) = await caps.CapsAsync(job.Id, cancellationToken);
        var wanted = (int)Math.Min(Math.Min(account.BatchMaxRequests, room), sizing.CurrentValue.Target(job.RowCount));
        var maxItemBytes = account.BatchMaxBytes - ProviderBatchBody.BodyBytes(0, 0);
        var now = time.GetUtcNow();

        var candidates = new List<Candidate>();
        var unusable = new List<(int Seq, string Type, string Message)>();
        long bytes = 0;
        var after = 0;
        var full = false;
        while (!full && candidates.Count < wanted)
        {
            var page = await store.PendingPageAsync(job.Id, after, options.CurrentValue.ReadPage, firstSendsOnly, cancellationToken);
            if (page.Count == 0)
            {
                if (await JobInputBlocks.MaterializeNextAsync(dataSource, job.Id, BlocksPerExpansion, cancellationToken) > 0)
                {
                    continue;
                }
                break;
            }
            foreach (var (seq, customId, input) in page)
            {
                after = seq;
                JsonObject body;
                try
                {
                    body = RequestBuilder.Build(job, input, out _);
                    // A line may ask for a stream (Messages requests assemble it); a provider batch refuses one, and answers whole anyway.
                    body.Remove("stream");
                }
                catch (Exception e) when (e is RowInputException or JsonException)
                {
                    unusable.Add((seq, "invalid_row", e.Message));
                    continue;
                }
                var itemBytes = ProviderBatchBody.ItemBytes(new ProviderBatchRequest(customId, body));
                if (itemBytes > maxItemBytes)
                {
                    unusable.Add((seq, "request_too_large", $"The request is {itemBytes:N0} bytes, more than batch_max_bytes ({account.BatchMaxBytes:N0}) of account '{account.Name}' allows in one provider batch."));
                    continue;
                }
                if (bytes + itemBytes + (candidates.Count > 0 ? 1 : 0) > maxItemBytes)
                {
                    full = true;
                    break;
                }
                decimal worstCase = 0;
                if (jobCapped || accountLimited)
                {
                    var model = body["model"] is JsonValue named && named.TryGetValue<string>(out var requested) ? requested : job.Model;
                    var maxTokens = body["max_tokens"] is JsonValue value && value.TryGetValue<int>(out var tokens) ? tokens : job.MaxTokens;
                    // Every byte of the request a token, as the Messages path reserves, at batch prices.
                    var inputTokens = itemBytes + (body.ContainsKey("tools") ? SpendCapGate.ToolUseAllowanceTokens : 0);
                    if (job.Prices.WorstCase(model, now, inputTokens, maxTokens, Delivery.ProviderBatch) is not { } worst)
                    {
                        await rows.StopAsync(job.Id, JobStatus.Paused,
                            $"The model '{model}' has no price, so the spend cap cannot be kept. Add a price (POST /api/prices), then resume.", cancellationToken);
                        return (CutOutcome.Stopped, null);
                    }
                    worstCase = worst;
                }
                candidates.Add(new Candidate(seq, itemBytes, worstCase));
                bytes += itemBytes + (candidates.Count > 1 ? 1 : 0);
                if (candidates.Count == wanted)
                {
                    break;
                }
            }
        }
        await FailUnusableAsync(job, unusable);
        return candidates.Count == 0
            ? (CutOutcome.NothingToSend, null)
            : await CommitIntentAsync(job, candidates, jobCapped, accountLimited, cancellationToken);
    }

    private async Task<(CutOutcome, Slice?)> CommitIntentAsync(
        JobContext job, List<Candidate> candidates, bool jobCapped, bool accountLimited, CancellationToken cancellationToken)
    {
        var account = job.Account;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One slice of an account is cut at a time: its room in the provider's queue is read and taken in one step.
        await using (var queue = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('batch.provider_batch_queue:' || $1::text, 0))", connection, transaction))
        {
            queue.Parameters.Add(new() { Value = account.Id });
            await queue.ExecuteNonQueryAsync(cancellationToken);
        }
        var room = account.BatchQueueLimit - await SliceStore.QueuedRequestsAsync(connection, transaction, account.Id, cancellationToken);
        var slice = candidates.Take((int)Math.Clamp(room, 0, candidates.Count)).ToList();
        if (slice.Count == 0)
        {
            return (CutOutcome.QueueFull, null);
        }
        if (jobCapped || accountLimited)
        {
            var spend = await SpendCapStore.LockAndReadAsync(connection, transaction, job.Id, account.Id, jobCapped, accountLimited, cancellationToken);
            var budget = Math.Min(jobCapped ? spend.JobRoomUsd ?? decimal.MaxValue : decimal.MaxValue, accountLimited ? spend.AccountRoomUsd ?? decimal.MaxValue : decimal.MaxValue);
            decimal sum = 0;
            slice = [.. slice.TakeWhile(c => (sum += c.WorstCaseUsd) <= budget)];
            if (slice.Count == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return (await PauseAtCapAsync(job, spend, jobCapped, accountLimited, candidates[0].WorstCaseUsd, cancellationToken) ? CutOutcome.Stopped : CutOutcome.WaitForCaps, null);
            }
        }

        var sliceId = Guid.CreateVersion7();
        var leased = new HashSet<int>();
        await using (var lease = new NpgsqlCommand("""
            UPDATE batch.job_rows r SET status = 1, lease_token = $2, lease_expires_at = 'infinity', attempts = r.attempts + 1,
                reserved_usd = CASE WHEN $5 THEN u.usd END
            FROM unnest($3::int[], $4::numeric[]) AS u(seq, usd)
            WHERE r.job_id = $1 AND r.seq = u.seq AND r.status = 0
            RETURNING r.seq
            """, connection, transaction))
        {
            lease.Parameters.Add(new() { Value = job.Id });
            lease.Parameters.Add(new() { Value = sliceId });
            lease.Parameters.Add(new() { Value = slice.Select(c => c.Seq).ToArray() });
            lease.Parameters.Add(new() { Value = slice.Select(c => c.WorstCaseUsd).ToArray() });
            lease.Parameters.Add(new() { Value = jobCapped || accountLimited });
            await using var reader = await lease.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                leased.Add(reader.GetInt32(0));
            }
        }
        // Rows canceled meanwhile are not in it: the intent counts exactly the rows leased, which is what recovery matches on.
        var sent = slice.Where(c => leased.Contains(c.Seq)).ToList();
        if (sent.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (CutOutcome.NothingToSend, null);
        }
        var bodyBytes = ProviderBatchBody.BodyBytes(sent.Sum(c => c.Bytes), sent.Count);
        DateTimeOffset createdAt;
        await using (var intent = new NpgsqlCommand("""
            INSERT INTO batch.provider_batches (id, job_id, account_id, status, first_seq, last_seq, request_count, bytes,
                succeeded, errored, canceled, expired, created_at)
            VALUES ($1, $2, $3, 0, $4, $5, $6, $7, 0, 0, 0, 0, now())
            RETURNING created_at
            """, connection, transaction))
        {
            intent.Parameters.Add(new() { Value = sliceId });
            intent.Parameters.Add(new() { Value = job.Id });
            intent.Parameters.Add(new() { Value = account.Id });
            intent.Parameters.Add(new() { Value = sent[0].Seq });
            intent.Parameters.Add(new() { Value = sent[^1].Seq });
            intent.Parameters.Add(new() { Value = sent.Count });
            intent.Parameters.Add(new() { Value = bodyBytes });
            await using var reader = await intent.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            createdAt = reader.GetFieldValue<DateTimeOffset>(0);
        }
        await transaction.CommitAsync(cancellationToken);
        LogIntent(logger, sliceId, job.Id, sent.Count, bodyBytes, sent[0].Seq, sent[^1].Seq);
        return (CutOutcome.Cut, new Slice(sliceId, null, ProviderBatchStatus.Intent, sent.Count, bodyBytes, createdAt, null));
    }

    /// <summary>
    /// Not even the slice's first row fits: the job pauses when that row would cross a cap with nothing else in flight (as a
    /// Messages row would); otherwise it waits for the slices in flight to settle. True when it paused.
    /// </summary>
    private async Task<bool> PauseAtCapAsync(JobContext job, SpendRoom spend, bool jobCapped, bool accountLimited, decimal worstCase, CancellationToken cancellationToken)
    {
        const string What = "the first row of its next provider batch";
        if (jobCapped && spend.MaxCostUsd is { } cap && spend.JobSpentUsd + worstCase > cap)
        {
            return await caps.PauseAtJobCapAsync(job.Id, SpendCapGate.JobCapReason(job.Id, spend.JobSpentUsd, cap, worstCase, What), worstCase, cancellationToken);
        }
        if (accountLimited && spend.MonthlyLimitUsd is { } limit && spend.AccountSpentUsd + worstCase > limit)
        {
            return await caps.PauseAtAccountLimitAsync(job.Id,
                SpendCapGate.AccountLimitReason(job.Account.Name, spend.AccountSpentUsd, limit, worstCase, time.GetUtcNow(), What), worstCase, cancellationToken);
        }
        return false;
    }

    /// <summary>Rows that cannot become a request (or one too large for any batch) are recorded as failed, as the Messages path records them.</summary>
    private async Task FailUnusableAsync(JobContext job, List<(int Seq, string Type, string Message)> unusable)
    {
        if (unusable.Count == 0)
        {
            return;
        }
        var leaseToken = Guid.CreateVersion7();
        var leased = (await store.LeaseAsync(job.Id, [.. unusable.Select(u => u.Seq)], leaseToken, CancellationToken.None)).ToHashSet();
        await Task.WhenAll(unusable.Where(u => leased.Contains(u.Seq)).Select(u => writer.WriteAsync(
            new RowResult(job.Id, u.Seq, leaseToken, RowStatus.Failed, 0, default, null, ErrorType: u.Type, ErrorMessage: u.Message, Model: job.Model))));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slice {SliceId} of job {JobId}: intent committed, {Requests} requests ({Bytes} bytes), seq {FirstSeq}-{LastSeq}")]
    private static partial void LogIntent(ILogger logger, Guid sliceId, Guid jobId, int requests, long bytes, int firstSeq, int lastSeq);
}

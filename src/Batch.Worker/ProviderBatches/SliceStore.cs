using Batch.Data.Entities;
using Batch.Messages;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.ProviderBatches;

/// <summary>A slice as a tick sees it.</summary>
internal sealed record Slice(
    Guid Id, string? ProviderBatchId, ProviderBatchStatus Status, int RequestCount, long Bytes, DateTimeOffset CreatedAt, DateTimeOffset? CancelRequestedAt);

/// <summary>A row a slice holds: what importing its result needs.</summary>
/// <param name="Model">The model its own params named (params rows); null when it uses the job's.</param>
internal sealed record SliceRow(int Seq, short Attempts, string? Model);

/// <summary>
/// The SQL of <c>provider_batches</c> and of the rows a slice holds. A slice's rows are leased to it (lease token = the
/// slice's id) with an infinite lease: no chunk reclaims them, and the result writer records one only while the slice still
/// holds it, so results imported twice are recorded once.
/// </summary>
internal sealed class SliceStore(NpgsqlDataSource dataSource)
{
    /// <summary>The job's slices that are not done: intents, in progress, ended but not imported; oldest first.</summary>
    public async Task<List<Slice>> OpenAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, provider_batch_id, status, request_count, bytes, created_at, cancel_requested_at
            FROM batch.provider_batches WHERE job_id = $1 AND status IN (0, 1, 2) ORDER BY created_at, id
            """);
        command.Parameters.Add(new() { Value = jobId });
        var slices = new List<Slice>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            slices.Add(new Slice(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), (ProviderBatchStatus)reader.GetInt16(2),
                reader.GetInt32(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return slices;
    }

    /// <summary>Requests of the account's slices not yet ended at the provider (intents included): its share of the provider's queue.</summary>
    public static async Task<long> QueuedRequestsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(request_count), 0)::bigint FROM batch.provider_batches WHERE account_id = $1 AND status IN (0, 1)", connection, transaction);
        command.Parameters.Add(new() { Value = accountId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<long> QueuedRequestsAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await QueuedRequestsAsync(connection, null, accountId, cancellationToken);
    }

    /// <summary>The provider's id arrived (or was found in its list): the slice is at the provider.</summary>
    public async Task<bool> SetSubmittedAsync(Guid sliceId, string providerBatchId, string? note, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.provider_batches SET provider_batch_id = $2, status = 1, submitted_at = now(), note = $3
            WHERE id = $1 AND status = 0
            """);
        command.Parameters.Add(new() { Value = sliceId });
        command.Parameters.Add(new() { Value = providerBatchId });
        command.Parameters.Add(new() { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The provider ended the batch: its counts, when it ended; its results are to be imported.</summary>
    public async Task SetEndedAsync(Guid sliceId, ProviderBatchInfo batch, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.provider_batches SET status = 2, succeeded = $2, errored = $3, canceled = $4, expired = $5, ended_at = coalesce($6, now())
            WHERE id = $1 AND status = 1
            """);
        command.Parameters.Add(new() { Value = sliceId });
        command.Parameters.Add(new() { Value = batch.Counts.Succeeded });
        command.Parameters.Add(new() { Value = batch.Counts.Errored });
        command.Parameters.Add(new() { Value = batch.Counts.Canceled });
        command.Parameters.Add(new() { Value = batch.Counts.Expired });
        command.Parameters.Add(new() { Value = (object?)batch.EndedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SetImportedAsync(Guid sliceId, string? note, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE batch.provider_batches SET status = 3, imported_at = now(), note = coalesce($2, note) WHERE id = $1 AND status = 2");
        command.Parameters.Add(new() { Value = sliceId });
        command.Parameters.Add(new() { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SetCancelRequestedAsync(Guid sliceId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE batch.provider_batches SET cancel_requested_at = now() WHERE id = $1 AND cancel_requested_at IS NULL");
        command.Parameters.Add(new() { Value = sliceId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task NoteAsync(Guid sliceId, string note, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE batch.provider_batches SET note = $2 WHERE id = $1");
        command.Parameters.Add(new() { Value = sliceId });
        command.Parameters.Add(new() { Value = note });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A slice that never reached the provider: its rows go back to pending (canceled, and counted, when the job was canceled),
    /// and it is kept, abandoned, with the reason.
    /// </summary>
    public async Task AbandonAsync(Guid jobId, Guid sliceId, string note, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH job AS (SELECT status = 5 AS canceled FROM batch.jobs WHERE id = $1),
            released AS (
                UPDATE batch.job_rows r
                SET status = CASE WHEN (SELECT canceled FROM job) THEN 4 ELSE 0 END, lease_token = NULL, lease_expires_at = NULL,
                    completed_at = CASE WHEN (SELECT canceled FROM job) THEN now() END
                WHERE r.job_id = $1 AND r.lease_token = $2 AND r.status = 1
                RETURNING r.status),
            counted AS (
                UPDATE batch.jobs SET canceled_rows = canceled_rows + c.n, updated_at = now()
                FROM (SELECT count(*)::int AS n FROM released WHERE status = 4) c
                WHERE id = $1 AND c.n > 0)
            UPDATE batch.provider_batches SET status = 4, note = $3 WHERE id = $2 AND status = 0
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = sliceId });
        command.Parameters.Add(new() { Value = note });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Of these provider ids, the ones some slice of the account already holds.</summary>
    public async Task<HashSet<string>> KnownAsync(Guid accountId, IReadOnlyCollection<string> providerBatchIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT provider_batch_id FROM batch.provider_batches WHERE account_id = $1 AND provider_batch_id = ANY($2)");
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = providerBatchIds.ToArray() });
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            known.Add(reader.GetString(0));
        }
        return known;
    }

    /// <summary>The rows the slice still holds, by custom_id.</summary>
    public async Task<Dictionary<string, SliceRow>> RowsAsync(Guid jobId, Guid sliceId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT custom_id, seq, attempts, CASE WHEN jsonb_typeof(input -> 'model') = 'string' THEN input ->> 'model' END
            FROM batch.job_rows WHERE job_id = $1 AND lease_token = $2 AND status = 1
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = sliceId });
        var rows = new Dictionary<string, SliceRow>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = new SliceRow(reader.GetInt32(1), reader.GetInt16(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }
        return rows;
    }

    /// <summary>One page of the slice's rows in seq order, after <paramref name="afterSeq"/>: what its create call sends.</summary>
    public async Task<List<(int Seq, string CustomId, string Input)>> PageAsync(Guid jobId, Guid sliceId, int afterSeq, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT seq, custom_id, input::text FROM batch.job_rows
            WHERE job_id = $1 AND seq > $3 AND status = 1 AND lease_token = $2 ORDER BY seq LIMIT $4
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = sliceId });
        command.Parameters.Add(new() { Value = afterSeq });
        command.Parameters.Add(new() { Value = limit });
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>One page of the job's pending rows in seq order after <paramref name="afterSeq"/>; only never-sent ones when <paramref name="firstSendsOnly"/>.</summary>
    public async Task<List<(int Seq, string CustomId, string Input)>> PendingPageAsync(
        Guid jobId, int afterSeq, int limit, bool firstSendsOnly, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT seq, custom_id, input::text FROM batch.job_rows
            WHERE job_id = $1 AND status = 0 AND seq > $2 AND (NOT $4 OR attempts = 0) ORDER BY seq LIMIT $3
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = afterSeq });
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = firstSendsOnly });
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>Pending rows never sent, and pending rows sent before (retries).</summary>
    public async Task<(long FirstSends, long Retries)> PendingAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT count(*) FILTER (WHERE attempts = 0) + {Data.Rows.JobInputBlocks.UnmaterializedRowsSql}, count(*) FILTER (WHERE attempts > 0)
            FROM batch.job_rows WHERE job_id = $1 AND status = 0
            """);
        command.Parameters.Add(new() { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Leases pending rows for a moment, so rows that cannot become requests can be recorded as failed through the writer.</summary>
    public async Task<int[]> LeaseAsync(Guid jobId, int[] seqs, Guid leaseToken, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.job_rows SET status = 1, lease_token = $3, lease_expires_at = now() + interval '5 minutes', attempts = attempts + 1
            WHERE job_id = $1 AND seq = ANY($2) AND status = 0
            RETURNING seq
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = seqs });
        command.Parameters.Add(new() { Value = leaseToken });
        var leased = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leased.Add(reader.GetInt32(0));
        }
        return [.. leased];
    }

    /// <summary>Once no row is left to send by slice but retries that must go in real time: the job goes on by Messages requests.</summary>
    public async Task<bool> SwitchToMessagesAsync(Guid jobId, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE batch.jobs SET delivery = 0, delivery_reason = concat_ws(' ', delivery_reason, $2), updated_at = now()
            WHERE id = $1 AND delivery = 1 AND status = 1
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = reason });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<List<(int, string, string)>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<(int, string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        }
        return rows;
    }
}

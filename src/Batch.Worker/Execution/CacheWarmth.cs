using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Batch.Worker.Execution;

/// <summary>
/// Keeps a job's shared prefix cached with one warm-up per model and cache lifetime across every worker process: the first
/// request of a job for a model, and the first after a gap longer than the cache lifetime, goes alone and every other
/// request (of any process) waits until it has been answered, so one request writes the cache and the rest read it (a
/// cache entry is readable only once its writer's answer began; each model has its own cache, so a batch of mixed models
/// warms once per model). The processes agree through <c>job_cache_warmups</c>: one claims the warm-up (and confirms its
/// claim while its request is out), the others poll for its answer.
/// </summary>
internal sealed partial class CacheWarmth(NpgsqlDataSource dataSource, TimeProvider time, ILogger<CacheWarmth> logger)
{
    /// <summary>A claim not confirmed for this long belongs to a process that died: another may take the warm-up over.</summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    // Claims the warm-up when nobody holds it: no row yet, a claim abandoned (not confirmed), or a cache past its lifetime.
    // Otherwise says how long ago the last answer came (null while a warm-up is under way), on the database's clock.
    private const string ClaimSql = """
        WITH claimed AS (
            INSERT INTO batch.job_cache_warmups AS w (job_id, model, warmer, claimed_at, answered_at) VALUES ($1, $5, $2, now(), NULL)
            ON CONFLICT (job_id, model) DO UPDATE SET warmer = excluded.warmer, claimed_at = now(), answered_at = NULL
            WHERE (w.answered_at IS NULL AND w.claimed_at < now() - $3) OR w.answered_at < now() - $4
            RETURNING 1)
        SELECT EXISTS (SELECT 1 FROM claimed),
               (SELECT extract(epoch FROM now() - answered_at)::float8 FROM batch.job_cache_warmups WHERE job_id = $1 AND model = $5)
        """;

    private readonly ConcurrentDictionary<CacheKey, JobCache> _jobs = new();

    /// <summary>
    /// For a request that reads the job's cached prefix (<see cref="JobContext.WarmsCacheFor"/>): null when the cache of its
    /// model is warm (send at once); otherwise a ticket: this request warms it, dispose once answered.
    /// </summary>
    public async ValueTask<IDisposable?> EnterAsync(JobContext job, string model, CancellationToken cancellationToken)
    {
        var key = new CacheKey(job.Id, model);
        var cache = _jobs.GetOrAdd(key, static _ => new JobCache());
        if (cache.IsWarm(time.GetUtcNow(), job.CacheLifetime))
        {
            return null;
        }
        // One request of this process negotiates with the others; the rest of its requests wait here.
        await cache.Gate.WaitAsync(cancellationToken);
        try
        {
            while (!cache.IsWarm(time.GetUtcNow(), job.CacheLifetime))
            {
                var claim = Guid.CreateVersion7();
                var (won, answeredSecondsAgo) = await ClaimAsync(job, key, claim, cancellationToken);
                if (won)
                {
                    return new Ticket(this, key, claim, cache);
                }
                if (answeredSecondsAgo is { } ago && TimeSpan.FromSeconds(ago) < job.CacheLifetime)
                {
                    cache.Answered(time.GetUtcNow() - TimeSpan.FromSeconds(Math.Max(0, ago)));
                    break;
                }
                // Another process is warming the cache: wait for its answer.
                await Task.Delay(PollInterval, time, cancellationToken);
            }
        }
        catch
        {
            cache.Gate.Release();
            throw;
        }
        cache.Gate.Release();
        return null;
    }

    /// <summary>
    /// A request of the job was answered: the cache (if any) was written or read, and so refreshed, now. The warm-up's own
    /// answer frees the other processes; other answers keep the shared time fresh, at most a few times per lifetime.
    /// </summary>
    public async Task AnsweredAsync(JobContext job, string model, IDisposable? ticket)
    {
        var key = new CacheKey(job.Id, model);
        if (!_jobs.TryGetValue(key, out var cache))
        {
            return;
        }
        var now = time.GetUtcNow();
        cache.Answered(now);
        var warmed = ticket is Ticket mine && mine.Key == key;
        if (warmed)
        {
            ((Ticket)ticket!).Answered = true;
        }
        if (!warmed && now - cache.SharedAt < job.CacheLifetime / 10)
        {
            return;
        }
        cache.SharedAt = now;
        try
        {
            await using var command = dataSource.CreateCommand(warmed
                ? "UPDATE batch.job_cache_warmups SET answered_at = now() WHERE job_id = $1 AND model = $3 AND warmer = $2"
                : "UPDATE batch.job_cache_warmups SET answered_at = now() WHERE job_id = $1 AND model = $3 AND answered_at IS NOT NULL");
            command.Parameters.Add(new() { Value = job.Id });
            command.Parameters.Add(new() { Value = warmed ? ((Ticket)ticket!).Claim : Guid.Empty });
            command.Parameters.Add(new() { Value = model });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            // Others then wait for the claim to lapse and warm again: one extra write, nothing lost.
            LogShareFailed(logger, e, job.Id);
        }
    }

    private async Task<(bool Won, double? AnsweredSecondsAgo)> ClaimAsync(JobContext job, CacheKey key, Guid claim, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new() { Value = key.JobId });
        command.Parameters.Add(new() { Value = claim });
        command.Parameters.Add(new() { Value = ClaimTimeout, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new() { Value = job.CacheLifetime, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new() { Value = key.Model });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetDouble(1));
    }

    /// <summary>Confirms the claim while the warming request is out, so a long request keeps it and a dead process loses it soon.</summary>
    private async Task ConfirmAsync(CacheKey key, Guid claim, CancellationToken held)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ClaimTimeout / 3, time, held);
                await using var command = dataSource.CreateCommand(
                    "UPDATE batch.job_cache_warmups SET claimed_at = now() WHERE job_id = $1 AND model = $3 AND warmer = $2 AND answered_at IS NULL");
                command.Parameters.Add(new() { Value = key.JobId });
                command.Parameters.Add(new() { Value = claim });
                command.Parameters.Add(new() { Value = key.Model });
                await command.ExecuteNonQueryAsync(held);
            }
        }
        catch (OperationCanceledException) when (held.IsCancellationRequested)
        {
        }
        catch (NpgsqlException e)
        {
            LogShareFailed(logger, e, key.JobId);
        }
    }

    /// <summary>The warm-up ended without an answer: others may take it over at once rather than when the claim lapses.</summary>
    private async Task GiveUpAsync(CacheKey key, Guid claim)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                "UPDATE batch.job_cache_warmups SET claimed_at = '-infinity' WHERE job_id = $1 AND model = $3 AND warmer = $2 AND answered_at IS NULL");
            command.Parameters.Add(new() { Value = key.JobId });
            command.Parameters.Add(new() { Value = claim });
            command.Parameters.Add(new() { Value = key.Model });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            LogShareFailed(logger, e, key.JobId);
        }
    }

    /// <summary>A job's cache for one model: models do not share cache entries.</summary>
    private readonly record struct CacheKey(Guid JobId, string Model);

    private sealed class JobCache
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        private long _answeredAtTicks;

        /// <summary>When this process last told the others about an answer.</summary>
        public DateTimeOffset SharedAt { get; set; }

        public bool IsWarm(DateTimeOffset now, TimeSpan lifetime) =>
            now.UtcTicks - Volatile.Read(ref _answeredAtTicks) < lifetime.Ticks;

        public void Answered(DateTimeOffset at) => Volatile.Write(ref _answeredAtTicks, Math.Max(Volatile.Read(ref _answeredAtTicks), at.UtcTicks));
    }

    private sealed class Ticket : IDisposable
    {
        private readonly CacheWarmth _owner;
        private readonly JobCache _cache;
        private readonly CancellationTokenSource _held = new();
        private int _disposed;

        public Ticket(CacheWarmth owner, CacheKey key, Guid claim, JobCache cache)
        {
            _owner = owner;
            Key = key;
            Claim = claim;
            _cache = cache;
            _ = owner.ConfirmAsync(key, claim, _held.Token);
        }

        public CacheKey Key { get; }

        public Guid Claim { get; }

        public bool Answered { get; set; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
            _held.Cancel();
            _held.Dispose();
            if (!Answered)
            {
                _ = _owner.GiveUpAsync(Key, Claim);
            }
            _cache.Gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sharing the cache warm-up of job {JobId} with other processes failed")]
    private static partial void LogShareFailed(ILogger logger, Exception exception, Guid jobId);
}

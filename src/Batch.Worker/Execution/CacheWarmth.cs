using System.Collections.Concurrent;

namespace Batch.Worker.Execution;

/// <summary>
/// Keeps a job's shared prefix cached: the first request of a job in this process, and the first after a
/// gap longer than the cache lifetime, goes alone and the others wait until it has been answered, so one
/// request writes the cache and the rest read it (a cache entry is readable only once its writer's answer began).
/// </summary>
internal sealed class CacheWarmth(TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, JobCache> _jobs = new();

    /// <summary>Null when the cache is warm (send at once); otherwise a ticket: this request warms it, dispose once answered.</summary>
    public async ValueTask<IDisposable?> EnterAsync(JobContext job, CancellationToken cancellationToken)
    {
        if (!job.WarmsCache)
        {
            return null;
        }
        var cache = _jobs.GetOrAdd(job.Id, static _ => new JobCache());
        if (cache.IsWarm(time.GetUtcNow(), job.CacheLifetime))
        {
            return null;
        }
        await cache.Gate.WaitAsync(cancellationToken);
        if (cache.IsWarm(time.GetUtcNow(), job.CacheLifetime))
        {
            cache.Gate.Release();
            return null;
        }
        return new Ticket(cache.Gate);
    }

    /// <summary>A request of the job was answered: the cache (if any) was written or read, and so refreshed, now.</summary>
    public void Answered(Guid jobId)
    {
        if (_jobs.TryGetValue(jobId, out var cache))
        {
            cache.AnsweredAtTicks = time.GetUtcNow().UtcTicks;
        }
    }

    private sealed class JobCache
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public long AnsweredAtTicks;

        public bool IsWarm(DateTimeOffset now, TimeSpan lifetime) =>
            now.UtcTicks - Volatile.Read(ref AnsweredAtTicks) < lifetime.Ticks;
    }

    private sealed class Ticket(SemaphoreSlim gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}

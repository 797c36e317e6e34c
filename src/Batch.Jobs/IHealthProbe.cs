using Hangfire;

namespace Batch.Jobs;

/// <summary>A Hangfire job that does nothing but succeed: enqueued by the API to prove a worker is taking jobs.</summary>
public interface IHealthProbe
{
    [JobDisplayName("Worker probe")]
    Task PingAsync(DateTimeOffset enqueuedAt);
}

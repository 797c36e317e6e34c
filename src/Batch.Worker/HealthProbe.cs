using Batch.Jobs;

namespace Batch.Worker;

internal sealed partial class HealthProbe(ILogger<HealthProbe> logger, TimeProvider time) : IHealthProbe
{
    public Task PingAsync(DateTimeOffset enqueuedAt)
    {
        LogProbe(logger, (time.GetUtcNow() - enqueuedAt).TotalMilliseconds);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Health probe picked up {DelayMs} ms after it was enqueued")]
    private static partial void LogProbe(ILogger logger, double delayMs);
}

namespace Batch.Worker.Execution;

/// <summary>The loop of a background sweeper: one sweep now, then one per interval until the host stops.</summary>
internal static class PeriodicSweep
{
    /// <param name="failed">Told of a sweep that threw; the next sweep tries again.</param>
    public static async Task RunAsync(TimeSpan interval, Func<CancellationToken, Task> sweep, Action<Exception> failed, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await sweep(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The next sweep tries again; a database hiccup must not stop the sweeper.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }
}

using Batch.Jobs;
using Batch.Testing;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Batch.Worker.Tests;

public class ShutdownTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_job_that_ignores_the_stop_signal_is_abandoned_at_the_servers_timeout_and_the_host_still_stops_cleanly()
    {
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Batch:Worker:ShutdownTimeout"] = "00:00:01",
        });
        Assert.Equal(TimeSpan.FromSeconds(1) + WorkerOptions.ShutdownMargin, worker.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        try
        {
            worker.Services.GetRequiredService<IBackgroundJobClient>().Enqueue(BatchQueues.Control, () => StubbornJob.Run());
            Assert.True(await StubbornJob.Started.WaitAsync(TimeSpan.FromMinutes(1)), "the stubborn job never started");

            // Before the host waited longer than its Hangfire servers, both gave up at the same 30 s and the host threw.
            await worker.StopAsync();

            Assert.Equal(1, StubbornJob.Running);
        }
        finally
        {
            StubbornJob.Release.Release();
        }
    }
}

/// <summary>A Hangfire job that takes no cancellation token and runs until the test lets it go.</summary>
public static class StubbornJob
{
    public static readonly SemaphoreSlim Started = new(0);
    public static readonly SemaphoreSlim Release = new(0);
    private static int _running;

    public static int Running => Volatile.Read(ref _running);

    public static async Task Run()
    {
        Interlocked.Increment(ref _running);
        Started.Release();
        await Release.WaitAsync();
        Interlocked.Decrement(ref _running);
    }
}

using Batch.Jobs;
using Hangfire;

namespace Batch.Worker;

public static class Extensions
{
    public static IHostApplicationBuilder AddBatchWorker(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddTransient<IHealthProbe, HealthProbe>();

        // Hangfire threads run chunk jobs; each chunk keeps many requests in flight with async I/O,
        // so a handful of threads per process is enough.
        var workerCount = builder.Configuration.GetValue("Batch:Worker:HangfireWorkers", 8);
        services.AddHangfireServer(options =>
        {
            options.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            options.Queues = BatchQueues.All;
            options.WorkerCount = workerCount;
            options.ShutdownTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }
}

using Batch.Data;
using Batch.Jobs;
using Batch.Telemetry;

namespace Batch.Worker;

/// <summary>Builds the worker host; Program.cs runs it and tests start the same host in-process or as a child process.</summary>
public static class BatchWorkerHost
{
    /// <summary>
    /// A slim web host: the Hangfire servers do the work, and a small Kestrel listener on <see cref="WorkerOptions.MetricsPort"/>
    /// serves <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> (none at all when the port is 0).
    /// </summary>
    public static IHost Create(string[] args, Action<IHostApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);

        builder.AddBatchData();
        builder.AddBatchHangfireStorage();
        builder.AddBatchWorker();

        var app = builder.Build();
        app.MapBatchOperations();
        return app;
    }
}

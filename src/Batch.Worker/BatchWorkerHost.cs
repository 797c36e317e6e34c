using Batch.Data;
using Batch.Jobs;

namespace Batch.Worker;

/// <summary>Builds the worker host; Program.cs runs it and tests start the same host in-process or as a child process.</summary>
public static class BatchWorkerHost
{
    public static IHost Create(string[] args, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(args);
        configure?.Invoke(builder);

        builder.AddBatchData();
        builder.AddBatchHangfireStorage();
        builder.AddBatchWorker();

        return builder.Build();
    }
}

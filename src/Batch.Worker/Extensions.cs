using Batch.Budgets;
using Batch.Jobs;
using Batch.Messages;
using Batch.Telemetry;
using Batch.Worker.Execution;
using Batch.Worker.ProviderBatches;
using Batch.Worker.Retention;
using Batch.Worker.Webhooks;
using Batch.Data.Retention;
using Hangfire;
using Microsoft.Extensions.Configuration.Memory;

namespace Batch.Worker;

public static class Extensions
{
    public static IHostApplicationBuilder AddBatchWorker(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        // HttpClient logs four Information lines per request, hundreds a second here: Warning by default, under every other source.
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:System.Net.Http.HttpClient", nameof(LogLevel.Warning))],
        });
        services.Configure<WorkerOptions>(configuration.GetSection(WorkerOptions.SectionName));
        var shutdownTimeout = ShutdownTimeout(configuration);
        services.Configure<HostOptions>(options => options.ShutdownTimeout = shutdownTimeout + WorkerOptions.ShutdownMargin);
        builder.AddBatchTelemetry("batch-worker");
        services.AddOperationsListener(configuration.GetValue($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.MetricsPort)}", WorkerOptions.DefaultMetricsPort));
        builder.AddBatchMessages();
        builder.AddBatchBudgets();

        services.AddTransient<IHealthProbe, HealthProbe>();
        services.AddTransient<IJobRunner, JobRunner>();
        services.AddTransient<IScheduleRunner, Schedules.ScheduleRunner>();
        services.AddTransient<IRowChunkRunner, RowChunkRunner>();
        services.AddScoped<JobContextLoader>();
        services.AddSingleton<RowStore>();
        services.AddSingleton<JobTransitions>();
        services.AddSingleton<ChunkActivityStore>();
        services.AddSingleton<CacheWarmth>();
        services.AddSingleton<FirstRowsCheck>();
        services.AddSingleton<FirstRowsGate>();
        services.AddSingleton<SpendCapStore>();
        services.AddSingleton<SpendCapGate>();
        services.AddSingleton<SpendCapSweeper>();
        services.AddSingleton<RowTelemetry>();
        services.AddSingleton<RowProcessor>();
        services.AddSingleton<ChunkExecution>();
        // Registered before the Hangfire servers so it stops after them and writes what their last requests brought back.
        services.AddSingleton<ResultWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<ResultWriter>());
        services.AddHostedService<StalledJobSweeper>();
        AddProviderBatches(builder);
        services.Configure<WebhookOptions>(configuration.GetSection(WebhookOptions.SectionName));
        services.AddWebhookHttpClient();
        services.AddTransient<IWebhookSender, WebhookSender>();
        services.AddSingleton<WebhookSweep>();
        services.Configure<RetentionOptions>(configuration.GetSection(RetentionOptions.SectionName));
        services.AddTransient<IRetentionRunner, RetentionRunner>();
        services.AddHostedService<RetentionSchedule>();

        var serverName = $"{Environment.MachineName}:{Environment.ProcessId}";
        // Control work (starting jobs, probes) has threads of its own, so it never waits behind long-running chunks.
        services.AddHangfireServer(options =>
        {
            options.ServerName = serverName + ":control";
            options.Queues = [BatchQueues.Control];
            options.WorkerCount = configuration.GetValue("Batch:Worker:ControlWorkers", 2);
            // Webhook retries are scheduled jobs: this is how late one may start.
            options.SchedulePollingInterval = configuration.GetValue("Batch:Worker:SchedulePollingInterval", TimeSpan.FromSeconds(15));
            options.ShutdownTimeout = shutdownTimeout;
        });
        // Each chunk keeps many requests in flight with async I/O, so a handful of threads per process is enough.
        services.AddHangfireServer(options =>
        {
            options.ServerName = serverName + ":rows";
            options.Queues = [BatchQueues.Rows];
            options.WorkerCount = configuration.GetValue("Batch:Worker:HangfireWorkers", 8);
            options.ShutdownTimeout = shutdownTimeout;
        });
        return builder;
    }

    /// <summary>Slicing, submission, polling and result import of provider batches, on a Hangfire server of their own.</summary>
    private static void AddProviderBatches(IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(ProviderBatchOptions.SectionName);
        services.Configure<ProviderBatchOptions>(section);
        services.Configure<SliceSizing>(section);
        services.AddTransient<IProviderBatchRunner, ProviderBatchRunner>();
        services.AddSingleton<PollChain>();
        services.AddSingleton<SliceStore>();
        services.AddSingleton<ProviderCalls>();
        services.AddSingleton<SliceCutter>();
        services.AddSingleton<SliceSubmitter>();
        services.AddSingleton<SliceRecovery>();
        services.AddSingleton<SliceImporter>();
        services.AddScoped<ProviderBatchDriver>();
        services.AddHostedService<ProviderBatchSweeper>();
        var settings = section.Get<ProviderBatchOptions>() ?? new ProviderBatchOptions();
        services.AddHangfireServer(options =>
        {
            options.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:provider_batches";
            options.Queues = [BatchQueues.ProviderBatches];
            options.WorkerCount = settings.Workers;
            // Delayed ticks are due to the second; the default 15 s polling would add up to that to every poll interval.
            options.SchedulePollingInterval = settings.SchedulePollingInterval;
            options.ShutdownTimeout = ShutdownTimeout(builder.Configuration);
        });
    }

    private static TimeSpan ShutdownTimeout(IConfiguration configuration) =>
        configuration.GetValue($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.ShutdownTimeout)}", new WorkerOptions().ShutdownTimeout);
}

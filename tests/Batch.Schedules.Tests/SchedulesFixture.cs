using Batch.Jobs;
using Batch.Testing;
using Batch.Worker;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Batch.Schedules.Tests;

/// <summary>
/// A real API on loopback over a database of its own, and a worker host that is built but never started: its
/// services give the schedule runner as the worker registers it, while no Hangfire server takes any job, so
/// what a run enqueues stays in Hangfire's queues to be read.
/// </summary>
public sealed class SchedulesFixture : IAsyncLifetime
{
    public PostgresDatabase Database { get; } = new();

    public RunningApi Api { get; private set; } = null!;

    public IHost Worker { get; private set; } = null!;

    public JobStorage HangfireStorage => Api.Services.GetRequiredService<JobStorage>();

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Api = await TestHosts.StartApiAsync(Database.ConnectionString);
        Worker = BatchWorkerHost.Create([], builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["ConnectionStrings:Batch"] = Database.ConnectionString, ["Batch:Worker:MetricsPort"] = "0" }));
    }

    public async Task DisposeAsync()
    {
        Worker.Dispose();
        await Api.DisposeAsync();
        await Database.DisposeAsync();
    }

    public RecurringJobDto? RecurringJob(Guid scheduleId)
    {
        using var connection = HangfireStorage.GetConnection();
        return connection.GetRecurringJobs().SingleOrDefault(r => r.Id == ScheduleCron.RecurringJobId(scheduleId));
    }

    /// <summary>Ids of the Hangfire jobs waiting on a queue that call <typeparamref name="T"/> with <paramref name="firstArgument"/> first.</summary>
    public List<string> Enqueued<T>(string queue, Guid firstArgument) =>
        HangfireStorage.GetMonitoringApi().EnqueuedJobs(queue, 0, 10_000)
            .Where(pair => pair.Value.Job?.Type == typeof(T) && pair.Value.Job.Args.Count > 0 && pair.Value.Job.Args[0] is Guid argument && argument == firstArgument)
            .Select(pair => pair.Key)
            .ToList();

    /// <summary>A key of its own project, made through the API.</summary>
    public Task<HttpClient> ProjectClientAsync(string project) => Api.CreateProjectClientAsync(project);
}

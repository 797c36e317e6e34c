using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using static Batch.Worker.Tests.ProviderBatchKit;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>
/// SIGKILL of a worker process driving provider batches, and a second process taking over: no slice is submitted twice
/// (the simulator counts every create) and no row is recorded twice.
/// </summary>
public class ProviderBatchCrashTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const int Rows = 60;

    /// <param name="batchExists">
    /// False: killed while the create call waits before the provider made the batch (nothing to adopt: it is submitted once,
    /// by the next process). True: killed after the provider made it but before the answer (the next process finds and adopts it).
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_worker_killed_right_after_committing_an_intent_submits_no_slice_twice(bool batchExists)
    {
        // The create call is held for a minute, before or after the batch exists.
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(configure: o =>
        {
            o.BatchCreateLatencyMs = batchExists ? 0 : 60_000;
            o.BatchCreateResponseDelayMs = batchExists ? 60_000 : 0;
        });
        var settings = ProviderBatchKit.Settings(database, simulator);
        var jobId = await StartJobAndKillTheWorkerAsync(settings, async id => (await ReadSlicesAsync(database, id)) is [{ Status: ProviderBatchStatus.Intent }]
            && simulator.GetStats().Batches.Submitted == (batchExists ? 1 : 0), "an intent committed and the create call under way");
        // The create calls of the next process answer at once.
        (simulator.Options.BatchCreateLatencyMs, simulator.Options.BatchCreateResponseDelayMs) = (0, 0);

        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        await second.WaitStartedAsync();
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        await AssertOnceAsync(simulator, jobId, job);
        var slice = (await ReadSlicesAsync(database, jobId)).Single();
        Assert.Equal(ProviderBatchStatus.Imported, slice.Status);
        await second.StopAsync();
    }

    [Fact]
    public async Task A_worker_killed_while_polling_leaves_the_slice_to_the_next_one_which_records_each_row_once()
    {
        // 20 requests a second: the slice runs for 3 s at the provider.
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(requestsPerSecond: 20);
        var settings = ProviderBatchKit.Settings(database, simulator);
        var jobId = await StartJobAndKillTheWorkerAsync(settings, async id => (await ReadSlicesAsync(database, id))
            is [{ Status: ProviderBatchStatus.InProgress, ProviderBatchId: not null }], "the slice to be at the provider");

        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        await second.WaitStartedAsync();
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        await AssertOnceAsync(simulator, jobId, job);
        await second.StopAsync();
    }

    /// <summary>Starts a worker process and the job, and SIGKILLs the process once <paramref name="killWhen"/> holds.</summary>
    private async Task<Guid> StartJobAndKillTheWorkerAsync(Dictionary<string, string?> settings, Func<Guid, Task<bool>> killWhen, string what)
    {
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        // The worker writes the default account at start; the job is the account's.
        await first.WaitStartedAsync();
        var jobId = await CreateTemplateJobAsync(database, Rows, systemPrompt: null, configure: ByProviderBatch);
        EnqueueStart(database, jobId);
        await WaitUntilAsync(() => killWhen(jobId), TimeSpan.FromSeconds(60), () => what);
        first.Kill();
        return jobId;
    }

    private async Task AssertOnceAsync(SimulatorServer simulator, Guid jobId, Job job)
    {
        var stats = simulator.GetStats();
        Assert.Equal((1L, (long)Rows, (long)Rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted, stats.Batches.RequestsSucceeded));
        Assert.Equal((Rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal(Rows, recorded.Count);
        Assert.All(recorded, row => Assert.Equal((RowStatus.Succeeded, Delivery.ProviderBatch), (row.Status, row.Delivery)));
        // The job's counters are sums of recorded rows: a row recorded twice would count twice.
        Assert.Equal(stats.Tokens.Output, job.Counters.OutputTokens);
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), job.Counters.CostUsd);
    }
}

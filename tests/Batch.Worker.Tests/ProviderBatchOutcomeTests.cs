using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using Microsoft.Extensions.Hosting;
using static Batch.Worker.Tests.ProviderBatchKit;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>What becomes of a provider batch's errored, expired and canceled requests: the worker in-process, the simulator over HTTP, real PostgreSQL.</summary>
public class ProviderBatchOutcomeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const int Rows = 30;

    [Fact]
    public async Task Errored_rows_are_sent_again_in_later_slices_then_fail_after_the_submission_limit()
    {
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(configure: o => o.BatchErroredProbability = 1);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, Rows, systemPrompt: null, configure: ByProviderBatch);

        EnqueueStart(worker, jobId);
        // No row succeeded: the job fails, as a Messages job whose every row failed does.
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        // Batch:ProviderBatches:MaxSubmissions is 3: three slices of every row, then the rows fail with the provider's error.
        var stats = simulator.GetStats();
        Assert.Equal((3L, 3L * Rows, 3L * Rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted, stats.Batches.RequestsErrored));
        var slices = await ReadSlicesAsync(database, jobId);
        Assert.Equal([Rows, Rows, Rows], slices.Select(s => s.Errored));
        Assert.Equal((0, Rows), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.All(await ReadRowsAsync(database, jobId), row =>
        {
            Assert.Equal((RowStatus.Failed, Delivery.ProviderBatch, 0m), (row.Status, row.Delivery, row.CostUsd ?? 0m));
            Assert.StartsWith("api_error", row.ErrorType, StringComparison.Ordinal);
            Assert.Contains("gave up after 3 provider batches", row.ErrorMessage, StringComparison.Ordinal);
        });
        await worker.StopAsync();
    }

    [Fact]
    public async Task Errored_rows_go_by_messages_requests_when_the_deadline_leaves_no_room_for_another_slice()
    {
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(configure: o => o.BatchErroredProbability = 1);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, Rows, systemPrompt: null, configure: job =>
        {
            ByProviderBatch(job);
            job.DeadlineAt = DateTimeOffset.UtcNow.AddHours(2);
        });

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var stats = simulator.GetStats();
        Assert.Equal((1L, (long)Rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted));
        Assert.Equal((Delivery.Messages, Rows), (job.Delivery, job.Counters.SucceededRows));
        Assert.Contains("the job went on by Messages requests", job.DeliveryReason, StringComparison.Ordinal);
        // Answered by Messages requests, so at the full seeded price (3 input, 15 output per million).
        Assert.All(await ReadRowsAsync(database, jobId), row =>
        {
            Assert.Equal((RowStatus.Succeeded, Delivery.Messages), (row.Status, row.Delivery));
            Assert.Equal(((row.InputTokens * 3m) + (row.OutputTokens * 15m)) / 1_000_000m, row.CostUsd);
        });
        await worker.StopAsync();
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    public async Task Expired_rows_are_sent_again_while_the_deadline_allows_then_fail_as_expired(bool nearDeadline, int slices)
    {
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(configure: o => o.BatchExpiredProbability = 1);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, Rows, systemPrompt: null, configure: job =>
        {
            ByProviderBatch(job);
            job.DeadlineAt = nearDeadline ? DateTimeOffset.UtcNow.AddHours(2) : null;
        });

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        var stats = simulator.GetStats();
        Assert.Equal(((long)slices, (long)slices * Rows, (long)slices * Rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted, stats.Batches.RequestsExpired));
        Assert.Equal(0, stats.Tokens.Output);
        Assert.Equal((0, Rows, Delivery.ProviderBatch), (job.Counters.SucceededRows, job.Counters.FailedRows, job.Delivery));
        Assert.All(await ReadRowsAsync(database, jobId), row => Assert.Equal((RowStatus.Failed, "expired"), (row.Status, row.ErrorType)));
        await worker.StopAsync();
    }

    [Fact]
    public async Task Canceling_the_job_cancels_its_batch_at_the_provider_and_keeps_what_was_answered()
    {
        // 10 requests a second: the 200-row slice is still running when the job is canceled.
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(requestsPerSecond: 10);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, ProviderBatchKit.Settings(database, simulator));
        const int rows = 200;
        var jobId = await StartOneRunningSliceAsync(worker, simulator, rows);

        // As POST /api/jobs/{id}/cancel does: the job's status; the slice's rows stay with the slice until it is imported.
        await ExecuteAsync(database, $"UPDATE batch.jobs SET status = {(short)JobStatus.Canceled}, finished_at = now() WHERE id = $1", jobId);
        var (slice, stats) = await CanceledAtTheProviderAsync(simulator, jobId, rows);

        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal(slice.Succeeded, recorded.Count(r => r.Status == RowStatus.Succeeded));
        Assert.Equal(slice.Canceled, recorded.Count(r => r.Status == RowStatus.Canceled));
        Assert.Equal(stats.Batches.RequestsSucceeded, slice.Succeeded);
        await worker.StopAsync();
    }

    [Fact]
    public async Task Pausing_the_job_cancels_its_batch_at_the_provider_and_resuming_sends_the_rest_once()
    {
        // 10 requests a second: the 200-row slice is still running when the job is paused.
        await using var simulator = await ProviderBatchKit.StartSimulatorAsync(requestsPerSecond: 10);
        var settings = ProviderBatchKit.Settings(database, simulator);
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        using var client = api.CreateClient();
        const int rows = 200;
        var jobId = await StartOneRunningSliceAsync(worker, simulator, rows);

        using (var pause = await client.PostAsync(new Uri($"/api/jobs/{jobId}/pause", UriKind.Relative), null))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, pause.StatusCode);
        }
        // The provider canceled what it had not answered; those rows wait, pending, for a resume; the answered ones are recorded.
        var (slice, _) = await CanceledAtTheProviderAsync(simulator, jobId, rows);
        var held = await ReadRowsAsync(database, jobId);
        Assert.Equal((slice.Succeeded, slice.Canceled), (held.Count(r => r.Status == RowStatus.Succeeded), held.Count(r => r.Status == RowStatus.Pending)));
        Assert.Equal(JobStatus.Paused, (await ReadJobAsync(database, jobId)).Status);

        using (var resume = await client.PostAsync(new Uri($"/api/jobs/{jobId}/resume", UriKind.Relative), null))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, resume.StatusCode);
        }
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        // A second slice took exactly the rows the first gave back: no row was answered twice.
        var stats = simulator.GetStats();
        var slices = await ReadSlicesAsync(database, jobId);
        Assert.Equal([rows, slice.Canceled], slices.Select(s => s.RequestCount));
        Assert.Equal((2L, (long)rows + slice.Canceled, (long)rows), (stats.Batches.Submitted, stats.Batches.RequestsSubmitted, stats.Batches.RequestsSucceeded));
        Assert.Equal(rows, job.Counters.SucceededRows);
        Assert.All(await ReadRowsAsync(database, jobId), row => Assert.Equal((RowStatus.Succeeded, Delivery.ProviderBatch), (row.Status, row.Delivery)));
        await worker.StopAsync();
    }

    /// <summary>A job of <paramref name="rows"/> rows in one slice, running at the provider with a few requests answered.</summary>
    private async Task<Guid> StartOneRunningSliceAsync(IHost worker, SimulatorServer simulator, int rows)
    {
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null, configure: ByProviderBatch);
        EnqueueStart(worker, jobId);
        await WaitUntilAsync(async () => (await ReadSlicesAsync(database, jobId)) is [{ Status: ProviderBatchStatus.InProgress }],
            TimeSpan.FromSeconds(30), () => "the slice to be at the provider");
        await WaitForAnsweredAsync(simulator, (await ReadSlicesAsync(database, jobId)).Single().ProviderBatchId!, requests: 5);
        return jobId;
    }

    /// <summary>Waits for the job's one slice, stopped with the job, to be imported: asked to cancel, canceled at the provider part-way.</summary>
    private async Task<(ProviderBatch Slice, SimulatorStatsSnapshot Stats)> CanceledAtTheProviderAsync(
        SimulatorServer simulator, Guid jobId, int rows)
    {
        await WaitUntilAsync(async () => (await ReadSlicesAsync(database, jobId)) is [{ Status: ProviderBatchStatus.Imported }],
            TimeSpan.FromSeconds(30), () => "the canceled slice to be imported");
        var stats = simulator.GetStats();
        var slice = (await ReadSlicesAsync(database, jobId)).Single();
        Assert.Equal((1L, 1L), (stats.Batches.Submitted, stats.Batches.Canceled));
        Assert.NotNull(slice.CancelRequestedAt);
        Assert.InRange(slice.Canceled, 1, rows - 1);
        Assert.Equal(rows, slice.Succeeded + slice.Canceled);
        return (slice, stats);
    }
}

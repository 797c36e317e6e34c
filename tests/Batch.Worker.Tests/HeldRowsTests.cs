using System.Net.Http.Json;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Testing;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>
/// <c>claimed</c> (leased, waiting for budget or a slot) apart from <c>in_flight</c> (request sent), as the API reports
/// them while real workers run a job whose budget admits about a request a second and whose answers take seconds.
/// </summary>
public class HeldRowsTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Rows_waiting_for_budget_are_claimed_not_in_flight_and_cancel_records_only_what_was_sent()
    {
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 3000);
        var settings = Settings(database, simulator, new() { ["Anthropic:Rpm"] = "60", ["Batch:Worker:MaxConcurrentRequests"] = "40" });
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var first = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        using var second = await TestHosts.StartWorkerAsync(database.ConnectionString, settings);
        using var client = api.CreateClient();
        const int rows = 300;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);

        EnqueueStart(first, jobId);
        var counts = await WaitForCountsAsync(client, jobId, c => c.Claimed >= 100 && c.InFlight >= 2);

        // About one request a second is admitted and each takes 3 s: a handful in flight, the simulator agrees, the rest wait.
        Assert.InRange(counts.InFlight, 2, 8);
        Assert.InRange(simulator.GetStats().ConcurrentRequests, 1, 8);
        Assert.Equal(rows - counts.Succeeded - counts.Claimed - counts.InFlight, counts.Pending);
        // What the chunks publish at each status poll matches the rows they lease. A chunk may claim a batch between two
        // polls, so the two are compared until one read of the API falls between a poll and the next claim.
        var (published, leased) = (0, 0L);
        await WaitUntilAsync(async () =>
        {
            var now = await CountsAsync(client, jobId);
            published = now.Claimed + now.InFlight;
            leased = await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 1", jobId);
            return Math.Abs(published - leased) <= 10;
        }, TimeSpan.FromSeconds(30), () => $"claimed + in_flight ({published}) to match the rows leased ({leased})");

        var inFlightAtCancel = (await CountsAsync(client, jobId)).InFlight;
        var succeededAtCancel = (await ReadJobAsync(database, jobId)).Counters.SucceededRows;
        using var canceled = await client.PostAsync(new Uri($"/api/jobs/{jobId}/cancel", UriKind.Relative), null);
        canceled.EnsureSuccessStatusCode();
        var settled = await WaitForCountsAsync(client, jobId, c => c.Claimed == 0 && c.InFlight == 0 && c.Succeeded + c.Failed + c.Canceled == rows);

        // Claimed rows were canceled; requests already sent were answered and recorded (and the few sent in the second before
        // the workers saw the cancel).
        Assert.InRange(settled.Succeeded - succeededAtCancel, 0, inFlightAtCancel + 3);
        Assert.Equal(rows - settled.Succeeded, settled.Canceled);
        Assert.Equal(settled.Succeeded, simulator.GetStats().RequestsTotal);
        Assert.Equal(0, await ScalarAsync(database, "SELECT count(*) FROM batch.job_chunk_activity WHERE job_id = $1", jobId));
    }

    [Fact]
    public async Task A_dead_workers_rows_drop_out_of_claimed_and_in_flight_before_their_leases_expire()
    {
        await using var simulator = await StartSimulatorAsync(o => o.TimeToFirstTokenMs = 3000);
        var settings = Settings(database, simulator, new() { ["Anthropic:Rpm"] = "60", ["Batch:Worker:LeaseDuration"] = "00:01:00" });
        await using var api = await TestHosts.StartApiAsync(database.ConnectionString, settings);
        using var worker = WorkerProcess.Start(database.ConnectionString, settings);
        await worker.WaitStartedAsync();
        using var client = api.CreateClient();
        const int rows = 100;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);

        api.Services.GetRequiredService<IBackgroundJobClient>().EnqueueStart(jobId, "worker test");
        await WaitForCountsAsync(client, jobId, c => c.Claimed >= 10 && c.InFlight >= 1);
        worker.Kill();

        var afterDeath = await WaitForCountsAsync(client, jobId, c => c.Claimed == 0 && c.InFlight == 0);
        Assert.True(await ScalarAsync(database, "SELECT count(*) FROM batch.job_rows WHERE job_id = $1 AND status = 1", jobId) > 0,
            "the dead worker's leases have not expired yet");
        Assert.Equal(rows - afterDeath.Succeeded - afterDeath.Failed, afterDeath.Pending);
    }

    private sealed record Counts(int Pending, int Claimed, int InFlight, int Succeeded, int Failed, int Canceled);

    private static async Task<Counts> CountsAsync(HttpClient client, Guid jobId)
    {
        var job = await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/jobs/{jobId}", UriKind.Relative));
        return job.GetProperty("counts").Deserialize<Counts>(TestJson.Options)!;
    }

    private static async Task<Counts> WaitForCountsAsync(HttpClient client, Guid jobId, Func<Counts, bool> condition)
    {
        Counts? counts = null;
        await WaitUntilAsync(async () => condition(counts = await CountsAsync(client, jobId)), TimeSpan.FromSeconds(30), () => $"counts, now {counts}");
        return counts!;
    }
}

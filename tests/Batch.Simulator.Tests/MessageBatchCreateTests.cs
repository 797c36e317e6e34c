using System.Text.Json.Nodes;

namespace Batch.Simulator.Tests;

/// <summary>
/// The two ways a create call can be cut off, on the real clock: before the batch exists (nothing was created) and after
/// (the batch exists, the client never heard its id). Batch's crash recovery is tested against both.
/// </summary>
public sealed class MessageBatchCreateTests : SimulatorTest
{
    private static JsonObject Body() => new()
    {
        ["requests"] = new JsonArray(new JsonObject { ["custom_id"] = "a", ["params"] = Requests.Simple("hello") }),
    };

    [Fact]
    public async Task A_client_that_leaves_before_the_batch_exists_created_nothing()
    {
        Server.Options.BatchCreateLatencyMs = 10_000;
        using var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.SendAsync(Body(), "v1/messages/batches", cancellationToken: leave.Token));

        Assert.Equal(0, Server.GetStats().Batches.Submitted);
        var list = await Client.CallAsync(HttpMethod.Get, "v1/messages/batches");
        Assert.Equal(0, list.Body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_client_that_leaves_after_the_batch_exists_finds_it_in_the_list()
    {
        Server.Options.BatchCreateResponseDelayMs = 10_000;
        using var leave = new CancellationTokenSource();
        var sending = Client.SendAsync(Body(), "v1/messages/batches", cancellationToken: leave.Token);
        await Wait.UntilAsync(() => Server.GetStats().Batches.Submitted == 1, "the batch to exist");
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);

        var list = await Client.CallAsync(HttpMethod.Get, "v1/messages/batches");
        var batch = Assert.Single(list.Body.GetProperty("data").EnumerateArray());
        Assert.Equal(1, batch.GetProperty("request_counts").GetProperty("processing").GetInt32() + batch.GetProperty("request_counts").GetProperty("succeeded").GetInt32());
    }
}

using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace Batch.Simulator.Tests;

/// <summary>The official C# SDK as the client: proof the simulator speaks the real protocol.</summary>
public sealed class AnthropicSdkTests
{
    private static AnthropicClient ClientFor(SimulatorServer server) => new()
    {
        ApiKey = server.ApiKey,
        BaseUrl = server.BaseUrl.ToString().TrimEnd('/'),
        MaxRetries = 0,
    };

    private static MessageCreateParams Params(string text) => new()
    {
        Model = Requests.Model,
        MaxTokens = 200,
        Messages = [new UserMessageParam(text)],
    };

    [Fact]
    public async Task Create_round_trips_text_usage_and_stop_reason()
    {
        await using var server = await SimulatorServer.StartAsync(o => o.SpeedFactor = 0);
        using var raw = new SimulatorClient(server);
        var expected = await raw.PostAsync(Requests.Simple("Tell me about rivers", maxTokens: 200), version: "2026-10-21");

        var message = await ClientFor(server).Messages.Create(Params("Tell me about rivers"));

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(expected.Text, text!.Text);
        Assert.Equal(expected.StopReason, message.StopReason?.Raw());
        Assert.Equal(expected.Usage("output_tokens"), message.Usage.OutputTokens);
        Assert.Equal(expected.Usage("input_tokens"), message.Usage.InputTokens);
        Assert.Equal(0, message.Usage.CacheReadInputTokens);
    }

    [Fact]
    public async Task A_rate_limited_call_surfaces_as_the_sdk_rate_limit_exception()
    {
        await using var server = await SimulatorServer.StartAsync(o => (o.SpeedFactor, o.Rpm) = (0, 1));
        var client = ClientFor(server);
        await client.Messages.Create(Params("first"));

        var failure = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(Params("second")));

        Assert.Equal(429, (int)failure.StatusCode);
        Assert.NotNull(failure.RequestID);
    }

    [Fact]
    public async Task A_spend_cap_surfaces_as_its_own_sdk_exception()
    {
        await using var server = await SimulatorServer.StartAsync(o => (o.SpeedFactor, o.SpendCapTokens) = (0, 1));
        var client = ClientFor(server);
        await client.Messages.Create(Params("first"));

        var failure = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Create(Params("second")));

        Assert.Equal(429, (int)failure.StatusCode);
        Assert.IsType<Anthropic.Models.AnthropicEnforcedSpendLimitReachedException>(failure);
    }

    [Fact]
    public async Task Streaming_through_the_sdk_yields_the_same_text()
    {
        await using var server = await SimulatorServer.StartAsync(o => o.SpeedFactor = 0);
        var client = ClientFor(server);
        var whole = await client.Messages.Create(Params("Stream about harbors"));
        Assert.True(whole.Content[0].TryPickText(out var expected));

        var streamed = new System.Text.StringBuilder();
        string? stopReason = null;
        long? outputTokens = null;
        await foreach (var streamEvent in client.Messages.CreateStreaming(Params("Stream about harbors")))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta!.Delta.TryPickText(out var text))
            {
                streamed.Append(text!.Text);
            }
            if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta!.Delta.StopReason?.Raw();
                outputTokens = messageDelta.Usage.OutputTokens;
            }
        }

        Assert.Equal(expected!.Text, streamed.ToString());
        Assert.Equal(whole.StopReason?.Raw(), stopReason);
        Assert.Equal(whole.Usage.OutputTokens, outputTokens);
    }

    [Fact]
    public async Task The_sdk_creates_lists_reads_results_of_cancels_and_deletes_message_batches()
    {
        await using var server = await SimulatorServer.StartAsync(o => (o.SpeedFactor, o.BatchQueueDelayMs, o.BatchRequestsPerSecond) = (0, 0, 0));
        var client = ClientFor(server);
        Anthropic.Models.Messages.Batches.Params BatchParams(string text) => new()
        {
            Model = Requests.Model,
            MaxTokens = 200,
            Messages = [new UserMessageParam(text)],
        };

        var created = await client.Messages.Batches.Create(new Anthropic.Models.Messages.Batches.BatchCreateParams
        {
            Requests = [new() { CustomID = "first", Params = BatchParams("one") }, new() { CustomID = "second", Params = BatchParams("two") }],
        });
        Assert.StartsWith("msgbatch_", created.ID, StringComparison.Ordinal);
        Assert.Equal(2, created.RequestCounts.Processing);

        var retrieved = await client.Messages.Batches.Retrieve(created.ID);
        Assert.Equal("ended", retrieved.ProcessingStatus.Raw());
        Assert.Equal(2, retrieved.RequestCounts.Succeeded);
        Assert.NotNull(retrieved.ResultsUrl);
        var listed = await client.Messages.Batches.List();
        Assert.Equal(created.ID, Assert.Single(listed.Items).ID);

        var results = new Dictionary<string, string>();
        await foreach (var line in client.Messages.Batches.ResultsStreaming(created.ID))
        {
            Assert.True(line.Result.TryPickSucceeded(out var succeeded));
            Assert.True(succeeded!.Message.Content[0].TryPickText(out var text));
            results[line.CustomID] = text!.Text;
        }
        var direct = await client.Messages.Create(Params("two"));
        Assert.True(direct.Content[0].TryPickText(out var expected));
        Assert.Equal(expected!.Text, results["second"]);
        Assert.Equal(2, results.Count);

        server.Options.BatchQueueDelayMs = 60_000;
        var waiting = await client.Messages.Batches.Create(new Anthropic.Models.Messages.Batches.BatchCreateParams
        {
            Requests = [new() { CustomID = "later", Params = BatchParams("three") }],
        });
        var canceling = await client.Messages.Batches.Cancel(waiting.ID);
        Assert.Equal("canceling", canceling.ProcessingStatus.Raw());
        Assert.Equal(1, canceling.RequestCounts.Canceled);

        var deleted = await client.Messages.Batches.Delete(created.ID);
        Assert.Equal(created.ID, deleted.ID);
        await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Batches.Retrieve(created.ID));
    }
}

using System.Text.Json.Nodes;
using Batch.Simulator;

namespace Batch.Messages.Tests;

/// <summary>The provider-batches client against the simulator's Message Batches API over real HTTP.</summary>
public sealed class ProviderBatchesTests : IAsyncLifetime
{
    private SimulatorServer _simulator = null!;

    public async Task InitializeAsync() =>
        _simulator = await SimulatorServer.StartAsync(o => (o.SpeedFactor, o.BatchQueueDelayMs, o.BatchRequestsPerSecond) = (0, 0, 0));

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    private MessagesServices Services(string? key = null)
    {
        var services = new MessagesServices();
        services.Account = new MessagesAccount(Guid.NewGuid(), "sim", _simulator.BaseUrl, key ?? _simulator.ApiKey, "2023-06-01");
        return services;
    }

    private static ProviderBatchBody Body(IReadOnlyList<ProviderBatchRequest> requests) =>
        new(requests.ToAsyncEnumerable(), ProviderBatchBody.BodyBytes(requests.Sum(ProviderBatchBody.ItemBytes), requests.Count));

    private static List<ProviderBatchRequest> Requests(int count, string prefix = "row") =>
        [.. Enumerable.Range(1, count).Select(i => new ProviderBatchRequest($"{prefix}-{i}", MessagesServices.Body($"question {prefix} {i} é \"quoted\"")))];

    [Fact]
    public async Task A_streamed_create_of_the_computed_length_makes_one_batch_whose_results_are_read_line_by_line()
    {
        using var services = Services();
        var requests = Requests(50);
        var bad = MessagesServices.Body();
        bad.Remove("max_tokens");
        requests.Add(new ProviderBatchRequest("bad", bad));

        var created = await services.Batches.CreateAsync(services.Account, Body(requests), CancellationToken.None);

        Assert.Equal(AttemptOutcome.Succeeded, created.Attempt.Outcome);
        Assert.StartsWith("msgbatch_", created.Batch!.Id, StringComparison.Ordinal);
        Assert.Equal(51, created.Batch.Counts.Total);
        Assert.NotNull(created.Batch.CreatedAt);
        Assert.Equal(new BatchCounts(1, 51, 0, 0, 0, 0, 0, 0), _simulator.GetStats().Batches with { RequestsSucceeded = 0, RequestsErrored = 0 });

        var retrieved = await services.Batches.RetrieveAsync(services.Account, created.Batch.Id, CancellationToken.None);
        Assert.True(retrieved.Batch!.HasEnded);
        Assert.Equal(new ProviderBatchCounts(0, 50, 1, 0, 0), retrieved.Batch.Counts);
        var results = new List<ProviderBatchResult>();
        await foreach (var result in services.Batches.ResultsAsync(services.Account, created.Batch.Id, CancellationToken.None))
        {
            results.Add(result);
        }
        Assert.Equal(requests.Select(r => r.CustomId).Order(), results.Select(r => r.CustomId).Order());
        var one = results.Single(r => r.CustomId == "row-7");
        Assert.Equal("succeeded", one.Type);
        Assert.True(one.Message!.Usage.OutputTokens > 0);
        Assert.NotEmpty(one.Message.OutputText);
        var errored = results.Single(r => r.CustomId == "bad");
        Assert.Equal(("errored", "invalid_request_error"), (errored.Type, errored.Error!.Type));
    }

    [Fact]
    public async Task The_list_pages_from_the_newest_and_cancel_reaches_a_batch_in_progress()
    {
        using var services = Services();
        _simulator.Options.BatchQueueDelayMs = 60_000;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await services.Batches.CreateAsync(services.Account, Body(Requests(2, $"b{i}")), CancellationToken.None)).Batch!.Id);
        }

        var first = await services.Batches.ListAsync(services.Account, null, 2, CancellationToken.None);
        var second = await services.Batches.ListAsync(services.Account, first.LastId, 2, CancellationToken.None);

        Assert.Equal([ids[2], ids[1]], first.Batches.Select(b => b.Id));
        Assert.True(first.HasMore);
        Assert.Equal([ids[0]], second.Batches.Select(b => b.Id));
        Assert.False(second.HasMore);
        var canceled = await services.Batches.CancelAsync(services.Account, ids[1], CancellationToken.None);
        Assert.Equal(("canceling", 2), (canceled.Batch!.ProcessingStatus, canceled.Batch.Counts.Canceled));
        Assert.Equal(1, _simulator.GetStats().Batches.Canceled);
    }

    [Fact]
    public async Task Refusals_are_classified_as_messages_attempts_are_and_unready_results_throw()
    {
        using var services = Services();
        _simulator.Options.BatchQueueLimit = 1;
        _simulator.Options.BatchQueueDelayMs = 60_000;

        var full = await services.Batches.CreateAsync(services.Account, Body(Requests(2)), CancellationToken.None);
        var waiting = await services.Batches.CreateAsync(services.Account, Body(Requests(1)), CancellationToken.None);
        using var wrongKey = Services(key: "sk-wrong");
        var refused = await wrongKey.Batches.RetrieveAsync(wrongKey.Account, waiting.Batch!.Id, CancellationToken.None);
        var missing = await services.Batches.RetrieveAsync(services.Account, "msgbatch_nope", CancellationToken.None);

        Assert.Equal((AttemptOutcome.Transient, 429, "rate_limit_error"), (full.Attempt.Outcome, full.Attempt.HttpStatus!.Value, full.Attempt.Error!.Type));
        Assert.Null(full.Batch);
        Assert.Equal((AttemptOutcome.PauseJob, 401), (refused.Attempt.Outcome, refused.Attempt.HttpStatus!.Value));
        Assert.Equal((AttemptOutcome.RowFailed, 404), (missing.Attempt.Outcome, missing.Attempt.HttpStatus!.Value));
        var unready = await Assert.ThrowsAsync<ProviderBatchesException>(async () =>
        {
            await foreach (var _ in services.Batches.ResultsAsync(services.Account, waiting.Batch.Id, CancellationToken.None))
            {
            }
        });
        Assert.Equal(400, unready.Attempt.HttpStatus);
    }

    [Fact]
    public async Task Item_bytes_add_up_to_the_body_the_content_writes()
    {
        var requests = Requests(3);
        var body = Body(requests);
        using var stream = new MemoryStream();

        await body.CopyToAsync(stream);

        Assert.Equal(body.Bytes, stream.Length);
        var parsed = JsonNode.Parse(stream.ToArray())!["requests"]!.AsArray();
        Assert.Equal(["row-1", "row-2", "row-3"], parsed.Select(r => r!["custom_id"]!.GetValue<string>()));
    }
}

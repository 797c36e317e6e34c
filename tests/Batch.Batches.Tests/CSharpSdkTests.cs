using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Anthropic.Models.Messages.Batches;
using Batch.Testing;

namespace Batch.Batches.Tests;

/// <summary>The official C# SDK, unchanged, as the client of Batch's Message Batches API: only BaseUrl and ApiKey differ.</summary>
public sealed class CSharpSdkTests(BatchesFixture fixture) : IClassFixture<BatchesFixture>
{
    private static readonly string[] Models = ["claude-sonnet-4-5", "claude-haiku-4-5"];

    /// <summary>Long enough to be cached by both models (4,096 tokens for Haiku 4.5 at the simulator's 4 characters a token).</summary>
    private static readonly string SystemPrompt = string.Concat(Enumerable.Repeat("You classify product reviews by sentiment. ", 500));

    private AnthropicClient Client(string key) => new() { ApiKey = key, BaseUrl = fixture.Api.BaseUrl.ToString().TrimEnd('/'), MaxRetries = 0 };

    private static Request RequestOf(int i) => new()
    {
        CustomID = $"cs-{i}",
        Params = new Params
        {
            Model = Models[i % 2],
            MaxTokens = 64,
            System = new List<TextBlockParam> { new() { Text = SystemPrompt, CacheControl = new CacheControlEphemeral() } },
            Messages = [new UserMessageParam($"Review {i}: fine.")],
        },
    };

    private static async Task<MessageBatch> UntilEndedAsync(AnthropicClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var batch = await client.Messages.Batches.Retrieve(id);
            if (batch.ProcessingStatus.Raw() == "ended")
            {
                return batch;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Batch {id} did not end: {batch.ProcessingStatus.Raw()}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Create_poll_results_list_cancel_delete_with_mixed_models_and_a_cached_prefix()
    {
        var key = await fixture.CreateKeyAsync("cs-sdk");
        var client = Client(key);

        var created = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [.. Enumerable.Range(0, 20).Select(i => RequestOf(i))] });
        Assert.StartsWith("msgbatch_", created.ID, StringComparison.Ordinal);
        Assert.Equal(20, created.RequestCounts.Processing);
        Assert.Null(created.ResultsUrl);
        Assert.True(created.ExpiresAt > created.CreatedAt.AddHours(23));

        var ended = await UntilEndedAsync(client, created.ID);
        Assert.Equal(20, ended.RequestCounts.Succeeded);
        Assert.Equal(0, ended.RequestCounts.Processing);
        Assert.NotNull(ended.EndedAt);
        Assert.Equal($"{fixture.Api.BaseUrl}v1/messages/batches/{created.ID}/results", ended.ResultsUrl);

        var models = new Dictionary<string, string>();
        long cached = 0;
        await foreach (var line in client.Messages.Batches.ResultsStreaming(created.ID))
        {
            Assert.True(line.Result.TryPickSucceeded(out var succeeded), line.CustomID);
            models[line.CustomID] = succeeded!.Message.Model.Raw();
            cached += (succeeded.Message.Usage.CacheReadInputTokens ?? 0) + (succeeded.Message.Usage.CacheCreationInputTokens ?? 0);
        }
        Assert.Equal(Enumerable.Range(0, 20).ToDictionary(i => $"cs-{i}", i => Models[i % 2]), models);
        // The requests' own cache_control went through: the prefix was written (rows sent at once all miss; see the README).
        Assert.True(cached > 0, "the system prefix was cached");

        // The job behind the batch: /api/jobs shows the batch id, and each row was priced and rolled up at its own model.
        using var http = fixture.Api.CreateClient(key);
        using var jobs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/jobs", UriKind.Relative)));
        Assert.Equal(created.ID, jobs.RootElement.GetProperty("data")[0].GetProperty("batch_id").GetString());
        using var report = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/reports/costs?group_by=model", UriKind.Relative)));
        var byModel = report.RootElement.GetProperty("data").EnumerateArray()
            .ToDictionary(g => g.GetProperty("model").GetString()!, g => (Rows: g.GetProperty("rows").GetInt32(), Cost: g.GetProperty("cost_usd").GetDecimal()));
        Assert.Equal(10, byModel[Models[0]].Rows);
        Assert.Equal(10, byModel[Models[1]].Rows);
        Assert.True(byModel[Models[0]].Cost > byModel[Models[1]].Cost, "Sonnet rows cost more than Haiku rows");

        var second = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [RequestOf(100)] });
        var third = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [RequestOf(101)] });
        var listed = new List<string>();
        var page = await client.Messages.Batches.List(new BatchListParams { Limit = 2 });
        listed.AddRange(page.Items.Select(b => b.ID));
        Assert.True(page.HasNext());
        page = await page.Next();
        listed.AddRange(page.Items.Select(b => b.ID));
        Assert.Equal([third.ID, second.ID, created.ID], listed);
        var before = await client.Messages.Batches.List(new BatchListParams { BeforeID = created.ID, Limit = 1 });
        Assert.Equal([second.ID], before.Items.Select(b => b.ID));

        var toCancel = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [.. Enumerable.Range(1000, 2000).Select(i => RequestOf(i))] });
        var canceling = await client.Messages.Batches.Cancel(toCancel.ID);
        Assert.Contains(canceling.ProcessingStatus.Raw(), new[] { "canceling", "ended" });
        Assert.NotNull(canceling.CancelInitiatedAt);
        var canceled = await UntilEndedAsync(client, toCancel.ID);
        Assert.True(canceled.RequestCounts.Canceled > 0, "requests not yet sent were canceled");
        Assert.Equal(2000, canceled.RequestCounts.Canceled + canceled.RequestCounts.Succeeded + canceled.RequestCounts.Errored);

        var deleted = await client.Messages.Batches.Delete(created.ID);
        Assert.Equal(created.ID, deleted.ID);
        await Assert.ThrowsAsync<AnthropicNotFoundException>(() => client.Messages.Batches.Retrieve(created.ID));
    }

    [Fact]
    public async Task Bad_requests_wrong_keys_and_unknown_batches_raise_the_sdk_exceptions()
    {
        var client = Client(await fixture.CreateKeyAsync("cs-sdk-errors"));

        var bad = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Create(
            new BatchCreateParams { Requests = [RequestOf(0), RequestOf(1), RequestOf(2) with { CustomID = "cs-1" }] }));
        Assert.Contains("requests.2.custom_id", bad.Message, StringComparison.Ordinal);
        Assert.Empty((await client.Messages.Batches.List()).Items);

        await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => Client("not-a-key").Messages.Batches.List());
        await Assert.ThrowsAsync<AnthropicNotFoundException>(() => client.Messages.Batches.Retrieve("msgbatch_0000000000000000000000000000000f"));

        var running = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [.. Enumerable.Range(0, 500).Select(i => RequestOf(i))] });
        var notYet = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Delete(running.ID));
        Assert.Contains("still processing", notYet.Message, StringComparison.Ordinal);
        await client.Messages.Batches.Cancel(running.ID);
    }
}

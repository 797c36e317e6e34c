using System.Text.Json;
using System.Text.Json.Nodes;
using Batch.Data.Entities;
using Batch.Testing;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Long outputs stream: recorded exactly as a plain answer, and a stream cut midway is retried.</summary>
public class StreamingTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_max_tokens_32000_row_is_streamed_and_recorded_like_a_short_one()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        // The same prompts twice: once short (a plain answer), once with max_tokens 32000 (streamed); the simulator answers a
        // prompt the same whatever max_tokens allows beyond its natural length.
        var tool = JsonNode.Parse("""
            [{"name": "label", "input_schema": {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "negative"]}, "score": {"type": "integer"}}, "required": ["sentiment", "score"]}}]
            """);
        string Params(string prompt, int maxTokens, bool forceTool = false)
        {
            var body = new JsonObject { ["max_tokens"] = maxTokens, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }) };
            if (forceTool)
            {
                body["tools"] = tool!.DeepClone();
                body["tool_choice"] = new JsonObject { ["type"] = "tool", ["name"] = "label" };
            }
            return body.ToJsonString();
        }
        var jobId = await CreateParamsJobAsync(database,
            [Params("Write about rivers", 1000), Params("Write about rivers", 32000), Params("Label: great", 1000, true), Params("Label: great", 32000, true)]);

        EnqueueStart(worker, jobId);
        await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var rows = await ReadRowsAsync(database, jobId);
        Assert.Equal(2, simulator.GetStats().StreamedRequests);
        foreach (var (plain, streamed) in new[] { (rows[0], rows[1]), (rows[2], rows[3]) })
        {
            Assert.Equal(RowStatus.Succeeded, streamed.Status);
            Assert.Equal(WithoutIds(plain.OutputContent), WithoutIds(streamed.OutputContent));
            Assert.Equal(
                (plain.OutputText, plain.StopReason, plain.StopSequence, plain.InputTokens, plain.OutputTokens, plain.CostUsd, plain.Attempts),
                (streamed.OutputText, streamed.StopReason, streamed.StopSequence, streamed.InputTokens, streamed.OutputTokens, streamed.CostUsd, streamed.Attempts));
            Assert.StartsWith("msg_", streamed.MessageId, StringComparison.Ordinal);
        }
        Assert.Equal("tool_use", rows[3].StopReason);
        Assert.Equal("label", JsonNode.Parse(rows[3].OutputContent!)![0]!["name"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(rows[3].OutputContent!).RootElement[0].GetProperty("input").ValueKind);
    }

    [Fact]
    public async Task A_cut_stream_is_retried_and_every_row_is_recorded_once()
    {
        await using var simulator = await StartSimulatorAsync(o =>
        {
            o.CutStreamProbability = 0.4;
            o.Seed = 7;
            o.OutputTokensMin = 40;
            o.OutputTokensMax = 80;
        });
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var rows = Enumerable.Range(1, 20).Select(i => new JsonObject
        {
            ["max_tokens"] = 20000,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"Long answer {i}" }),
        }.ToJsonString()).ToList();
        var jobId = await CreateParamsJobAsync(database, rows);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        Assert.True(stats.Faults.CutStream > 0, $"no stream was cut: {stats.Faults}");
        Assert.Equal(20, job.Counters.SucceededRows);
        // Each cut cost its row one more attempt, and nothing else.
        Assert.Equal(stats.Faults.CutStream, recorded.Sum(r => r.Attempts - 1L));
        Assert.Equal(stats.StreamedRequests, recorded.Sum(r => (long)r.Attempts));
        Assert.All(recorded, r => Assert.Equal("end_turn", r.StopReason));
    }

    /// <summary>Tool-use blocks get a fresh id per answer.</summary>
    private static string WithoutIds(string? content)
    {
        var blocks = JsonNode.Parse(content!)!.AsArray();
        foreach (var block in blocks)
        {
            block!.AsObject().Remove("id");
        }
        return blocks.ToJsonString();
    }
}

using System.Globalization;
using System.Text.Json;
using Batch.Data.Entities;
using Batch.Simulator;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>Jobs with an output schema, end to end: the worker host in-process, the simulator over real HTTP, real PostgreSQL.</summary>
public class StructuredResultsTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string Schema = """
        {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "negative", "mixed"]}, "reason": {"type": "string"}},
         "required": ["sentiment", "reason"], "additionalProperties": false}
        """;

    /// <summary>No structured outputs in model_settings: the claude-sonnet-4 row covers Sonnet 4.0.</summary>
    private const string ModelWithoutStructuredOutputs = "claude-sonnet-4-20250514";

    // Seeded prices of claude-sonnet-4-5: 3 / 3.75 / 6 / 0.30 / 15 USD per million tokens.
    private static decimal SonnetCost(JobRow row) =>
        ((row.InputTokens * 3m) + (row.CacheWrite5mTokens * 3.75m) + (row.CacheReadTokens * 0.30m) + (row.OutputTokens * 15m)) / 1_000_000m;

    [Theory]
    [InlineData(Model, OutputMode.Auto, "text")]
    [InlineData(ModelWithoutStructuredOutputs, OutputMode.Auto, "tool_use")]
    [InlineData(Model, OutputMode.Tool, "tool_use")]
    [InlineData(ModelWithoutStructuredOutputs, OutputMode.JsonSchema, "text")]
    public async Task Both_modes_end_with_a_validated_object_on_every_row(string model, OutputMode mode, string answerBlock)
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const int rows = 12;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: "You label reviews.");
        await SetSchemaAsync(jobId, mode, retries: 1, model);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal((rows, 0), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.Equal(rows, simulator.GetStats().RequestsTotal);
        foreach (var row in recorded)
        {
            Assert.Equal((RowStatus.Succeeded, (short)1), (row.Status, row.Attempts));
            using var parsed = JsonDocument.Parse(row.OutputParsed!);
            Assert.Contains(parsed.RootElement.GetProperty("sentiment").GetString(), new[] { "positive", "negative", "mixed" });
            Assert.Equal(JsonValueKind.String, parsed.RootElement.GetProperty("reason").ValueKind);
            Assert.Equal(2, parsed.RootElement.EnumerateObject().Count());

            using var content = JsonDocument.Parse(row.OutputContent!);
            var block = Assert.Single(content.RootElement.EnumerateArray());
            Assert.Equal(answerBlock, block.GetProperty("type").GetString());
            var answered = answerBlock == "text" ? block.GetProperty("text").GetString()! : block.GetProperty("input").GetRawText();
            Assert.True(JsonElement.DeepEquals(parsed.RootElement, JsonDocument.Parse(answered).RootElement), $"{row.OutputParsed} vs {answered}");
            // output_text is the answer's JSON in both modes, so a spreadsheet shows what the model said.
            Assert.Equal(row.OutputParsed, row.OutputText);
            if (answerBlock == "tool_use")
            {
                Assert.Equal(("record", "tool_use"), (block.GetProperty("name").GetString(), row.StopReason));
            }
        }
        await worker.StopAsync();
    }

    [Fact]
    public async Task The_record_tool_is_cached_with_the_system_prompt()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var longSystemPrompt = "You label product reviews. " + string.Concat(Enumerable.Repeat("Be consistent and brief. ", 250));
        const int rows = 10;
        var plain = await CreateTemplateJobAsync(database, rows, longSystemPrompt);
        var structured = await CreateTemplateJobAsync(database, rows, longSystemPrompt);
        await SetSchemaAsync(structured, OutputMode.Tool, retries: 1);

        EnqueueStart(worker, plain);
        await WaitForStatusAsync(database, plain, JobStatus.Completed);
        EnqueueStart(worker, structured);
        await WaitForStatusAsync(database, structured, JobStatus.Completed);

        var plainRows = await ReadRowsAsync(database, plain);
        var structuredRows = await ReadRowsAsync(database, structured);
        var stats = simulator.GetStats();
        Assert.Equal((2L, 2L * (rows - 1)), (stats.Cache.Writes, stats.Cache.Reads));
        var prefix = structuredRows.Single(r => r.CacheWrite5mTokens > 0).CacheWrite5mTokens;
        var plainPrefix = plainRows.Single(r => r.CacheWrite5mTokens > 0).CacheWrite5mTokens;
        // The tool comes before the system prompt in the prefix: the system block's breakpoint caches it too, and the
        // uncached part of each request (the user message) is the same as without it.
        Assert.True(prefix > plainPrefix + 20, $"prefix with the tool {prefix}, without {plainPrefix}");
        Assert.All(structuredRows.Where(r => r.CacheWrite5mTokens == 0), r => Assert.Equal(prefix, r.CacheReadTokens));
        Assert.Equal(plainRows.Select(r => r.InputTokens), structuredRows.Select(r => r.InputTokens));
        await worker.StopAsync();
    }

    [Fact]
    public async Task Answers_that_never_match_are_asked_again_then_fail_as_schema_mismatch_with_every_answer_paid()
    {
        await using var simulator = await StartSimulatorAsync(o => o.SchemaViolationProbability = 1);
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const int rows = 6;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);
        await SetSchemaAsync(jobId, OutputMode.JsonSchema, retries: 2);

        EnqueueStart(worker, jobId);
        // No row succeeds, so the job ends failed.
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        Assert.Equal((0, rows), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.Equal(rows * 3, stats.RequestsTotal);
        Assert.All(Enumerable.Range(1, rows), seq => Assert.Equal(new PromptCounts(3, 3), stats.Prompts[SimulatorStatsSnapshot.PromptKeyOf(PromptOf(seq))]));
        foreach (var row in recorded)
        {
            Assert.Equal((RowStatus.Failed, "schema_mismatch", (short)3, (string?)null), (row.Status, row.ErrorType, row.Attempts, row.OutputParsed));
            Assert.Contains("at /sentiment", row.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains("12345", row.OutputText, StringComparison.Ordinal);
            Assert.Equal(SonnetCost(row), row.CostUsd);
        }
        // Three answers a row, all paid: the job's totals are the simulator's, token for token.
        Assert.Equal((stats.Tokens.Input, stats.Tokens.Output), (job.Counters.InputTokens, job.Counters.OutputTokens));
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), job.Counters.CostUsd);
        Assert.True(job.Counters.CostUsd > 0);
        await worker.StopAsync();
    }

    [Fact]
    public async Task An_answer_mended_by_asking_again_succeeds_and_its_cost_counts_every_attempt()
    {
        await using var simulator = await StartSimulatorAsync(o => (o.SchemaViolationProbability, o.Seed) = (0.5, 3));
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const int rows = 40;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);
        await SetSchemaAsync(jobId, OutputMode.Tool, retries: 5);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        var stats = simulator.GetStats();
        var retried = recorded.Where(r => r.Status == RowStatus.Succeeded && r.Attempts > 1).ToList();
        Assert.True(retried.Count >= 5, $"{retried.Count} rows were mended by asking again");
        Assert.True(job.Counters.SucceededRows >= rows - 2, $"{job.Counters.SucceededRows} succeeded");
        Assert.Equal(stats.RequestsTotal, recorded.Sum(r => (long)r.Attempts));
        Assert.Equal(
            (stats.Tokens.Input, stats.Tokens.CacheWrite5m, stats.Tokens.CacheRead, stats.Tokens.Output),
            (job.Counters.InputTokens, job.Counters.CacheWrite5mTokens, job.Counters.CacheReadTokens, job.Counters.OutputTokens));
        foreach (var row in retried)
        {
            Assert.NotNull(row.OutputParsed);
            Assert.Equal(SonnetCost(row), row.CostUsd);
        }
        // A row asked n times holds n answers' tokens (the prompts are all about as long).
        Assert.True(retried.Average(r => r.InputTokens) > recorded.Where(r => r.Attempts == 1).Average(r => r.InputTokens) * 1.5);
        Assert.Equal(recorded.Sum(r => r.CostUsd!.Value), job.Counters.CostUsd);
        await worker.StopAsync();
    }

    [Theory]
    [InlineData(OutputMode.JsonSchema)]
    [InlineData(OutputMode.Tool)]
    public async Task Refusals_and_cut_off_answers_are_recorded_as_such_and_not_asked_again(OutputMode mode)
    {
        await using var simulator = await StartSimulatorAsync(o => (o.RefusalProbability, o.Seed) = (0.5, 11));
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const int rows = 16;
        var jobId = await CreateTemplateJobAsync(database, rows, systemPrompt: null);
        // Four tokens: every answer that is not a refusal is cut off.
        await SetSchemaAsync(jobId, mode, retries: 3, maxTokens: 4);

        EnqueueStart(worker, jobId);
        // No row succeeds, so the job ends failed.
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Failed);

        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal((0, rows), (job.Counters.SucceededRows, job.Counters.FailedRows));
        Assert.Equal(rows, simulator.GetStats().RequestsTotal);
        Assert.Contains(recorded, r => r.ErrorType == "refusal");
        Assert.Contains(recorded, r => r.ErrorType == "max_tokens");
        foreach (var row in recorded)
        {
            Assert.Equal((short)1, row.Attempts);
            Assert.Equal(row.ErrorType, row.StopReason);
            Assert.Null(row.OutputParsed);
            Assert.True(row.CostUsd > 0);
            Assert.Contains(row.ErrorType == "refusal" ? "declined" : "raise max_tokens", row.ErrorMessage, StringComparison.Ordinal);
        }
        await worker.StopAsync();
    }

    [Fact]
    public async Task Params_rows_use_the_specs_schema_in_the_mode_of_their_own_model()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        const string otherTool = """{"name": "lookup", "description": "Looks a word up.", "input_schema": {"type": "object", "properties": {"word": {"type": "string"}}}}""";
        var jobId = await CreateParamsJobAsync(database,
        [
            """{"max_tokens": 64, "messages": [{"role": "user", "content": "Review 1: great"}]}""",
            $$"""{"model": "{{ModelWithoutStructuredOutputs}}", "max_tokens": 64, "messages": [{"role": "user", "content": "Review 2: poor"}]}""",
            $$"""{"model": "{{ModelWithoutStructuredOutputs}}", "max_tokens": 64, "tools": [{{otherTool}}], "messages": [{"role": "user", "content": "Review 3: fine"}]}""",
        ]);
        await SetSchemaAsync(jobId, OutputMode.Auto, retries: 1);

        EnqueueStart(worker, jobId);
        var job = await WaitForStatusAsync(database, jobId, JobStatus.Completed);

        var recorded = await ReadRowsAsync(database, jobId);
        Assert.Equal(3, job.Counters.SucceededRows);
        Assert.All(recorded, r => Assert.NotNull(r.OutputParsed));
        string[] blocks = [.. recorded.Select(r => JsonDocument.Parse(r.OutputContent!).RootElement[0].GetProperty("type").GetString()!)];
        Assert.Equal(["text", "tool_use", "tool_use"], blocks);
        Assert.Equal(["claude-sonnet-4-5", ModelWithoutStructuredOutputs, ModelWithoutStructuredOutputs], recorded.Select(r => r.ResponseModel));
        // The row's own tool stays; the forced record tool answers.
        Assert.Equal("record", JsonDocument.Parse(recorded[2].OutputContent!).RootElement[0].GetProperty("name").GetString());
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_capped_schema_job_reserves_a_rows_worst_case_once_for_every_send_its_retries_allow()
    {
        await using var simulator = await StartSimulatorAsync();
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, 1, systemPrompt: null);
        await SetSchemaAsync(jobId, OutputMode.JsonSchema, retries: 0);
        // Below any row's worst case: the job pauses before sending, naming the worst case of one send.
        await ExecuteAsync(database, "UPDATE batch.jobs SET max_cost_usd = 0.000000001 WHERE id = $1", jobId);
        EnqueueStart(worker, jobId);
        var oneSend = WorstCaseIn(await WaitForStatusAsync(database, jobId, JobStatus.Paused));

        // Two retries: a cap of twice one send's worst case would hold one send, not the three the row may take.
        await SetSchemaAsync(jobId, OutputMode.JsonSchema, retries: 2);
        await ExecuteAsync(database, Invariant($"UPDATE batch.jobs SET max_cost_usd = {oneSend * 2}, status = 0, status_reason = NULL WHERE id = $1"), jobId);
        EnqueueStart(worker, jobId);
        var threeSends = WorstCaseIn(await WaitForStatusAsync(database, jobId, JobStatus.Paused));
        // The reasons round to 8 decimals.
        Assert.InRange(threeSends, (oneSend * 3) - 0.00000003m, (oneSend * 3) + 0.00000003m);
        Assert.Equal(0, simulator.GetStats().RequestsTotal);

        // Room for all three: the row goes, and what it cost is within the cap.
        var cap = threeSends + 0.0000001m;
        await ExecuteAsync(database, Invariant($"UPDATE batch.jobs SET max_cost_usd = {cap}, status = 0, status_reason = NULL WHERE id = $1"), jobId);
        EnqueueStart(worker, jobId);
        var done = await WaitForStatusAsync(database, jobId, JobStatus.Completed);
        Assert.Equal(1, done.Counters.SucceededRows);
        Assert.InRange(done.Counters.CostUsd, 0.0000001m, cap);
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_paid_answer_whose_retry_the_provider_refuses_is_recorded_and_counted_as_the_job_pauses()
    {
        // The provider's spend limit is reached by the first answer: the retry it called for comes back refused.
        await using var simulator = await StartSimulatorAsync(o => (o.SchemaViolationProbability, o.SpendCapTokens) = (1, 1));
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, 1, systemPrompt: null);
        await SetSchemaAsync(jobId, OutputMode.JsonSchema, retries: 2);

        EnqueueStart(worker, jobId);
        var paused = await WaitForStatusAsync(database, jobId, JobStatus.Paused);

        Assert.Contains("spend limit", paused.StatusReason, StringComparison.Ordinal);
        // Two HTTP attempts: the answer, and the retry the provider refused.
        var row = await ThePaidAnswerIsRecordedAsync(jobId, attempts: 2);
        // The refused retry cost nothing: the row holds every token the provider charged.
        var stats = simulator.GetStats();
        Assert.Equal((stats.Tokens.Input, stats.Tokens.Output), (row.InputTokens, row.OutputTokens));
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_paid_answer_whose_retry_is_abandoned_as_the_process_stops_is_recorded_and_counted()
    {
        // Seed 3: the first request is answered (against the schema), the second, the retry, stalls.
        await using var simulator = await StartSimulatorAsync(o => (o.SchemaViolationProbability, o.StallProbability, o.Seed) = (1, 0.5, 3));
        using var worker = await TestHosts.StartWorkerAsync(database.ConnectionString, Settings(database, simulator));
        var jobId = await CreateTemplateJobAsync(database, 1, systemPrompt: null);
        await SetSchemaAsync(jobId, OutputMode.JsonSchema, retries: 2);

        EnqueueStart(worker, jobId);
        await WaitUntilAsync(() => Task.FromResult(simulator.GetStats().Faults.Stalled == 1), TimeSpan.FromSeconds(60), () => "the retry to stall");
        // Stopping abandons the request in flight; the results queued by then are written before the process ends.
        await worker.StopAsync();

        // The abandoned attempt never came back, so it is not counted.
        var row = await ThePaidAnswerIsRecordedAsync(jobId, attempts: 1);
        // The abandoned retry (the same prompt) was charged too, as the real API would; its answer was never seen.
        Assert.Equal(simulator.GetStats().Tokens.Input, 2L * row.InputTokens);
    }

    /// <summary>
    /// The one row of <paramref name="jobId"/> was answered once, against the schema, and its retry got no answer: the row
    /// is recorded failed with that answer's tokens and cost, which the job's counters and the cost rollup count too.
    /// </summary>
    /// <param name="attempts">The HTTP attempts the row should show.</param>
    private async Task<JobRow> ThePaidAnswerIsRecordedAsync(Guid jobId, short attempts)
    {
        JobRow? row = null;
        await WaitUntilAsync(async () => (row = Assert.Single(await ReadRowsAsync(database, jobId))).Status is not (RowStatus.Pending or RowStatus.Leased),
            TimeSpan.FromSeconds(30), () => $"the row to be recorded; it is {row?.Status}");
        Assert.Equal((RowStatus.Failed, "schema_mismatch", (string?)null, attempts), (row!.Status, row.ErrorType, row.OutputParsed, row.Attempts));
        Assert.Contains("not asked again", row.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("12345", row.OutputText, StringComparison.Ordinal);
        Assert.True(row.InputTokens > 0 && row.OutputTokens > 0);
        Assert.Equal(SonnetCost(row), row.CostUsd);

        var job = await ReadJobAsync(database, jobId);
        Assert.Equal((1, (long)row.InputTokens, (long)row.OutputTokens, row.CostUsd!.Value),
            (job.Counters.FailedRows, job.Counters.InputTokens, job.Counters.OutputTokens, job.Counters.CostUsd));
        await using var rollup = database.DataSource.CreateCommand("SELECT coalesce(sum(cost_usd), 0), coalesce(sum(rows), 0)::int FROM batch.cost_rollups WHERE job_id = $1");
        rollup.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
        await using var reader = await rollup.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((row.CostUsd!.Value, 1), (reader.GetDecimal(0), reader.GetInt32(1)));
        return row;
    }

    /// <summary>The worst case a spend-cap pause names ("... the next row could cost up to $0.00123").</summary>
    private static decimal WorstCaseIn(Job paused)
    {
        var match = System.Text.RegularExpressions.Regex.Match(paused.StatusReason ?? "", @"could cost up to \$([0-9]+(?:\.[0-9]+)?)");
        Assert.True(match.Success, paused.StatusReason);
        return decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string Invariant(FormattableString sql) => sql.ToString(CultureInfo.InvariantCulture);

    private async Task SetSchemaAsync(Guid jobId, OutputMode mode, int retries, string? model = null, int? maxTokens = null)
    {
        await using var db = database.CreateContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
        job.OutputSchema = Schema;
        job.OutputMode = mode;
        job.SchemaRetries = retries;
        job.Model = model ?? job.Model;
        job.MaxTokens = maxTokens ?? job.MaxTokens;
        await db.SaveChangesAsync();
    }
}

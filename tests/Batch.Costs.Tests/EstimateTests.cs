using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Api.Tests;
using Batch.Data.Entities;
using Batch.Worker.Tests;

namespace Batch.Costs.Tests;

/// <summary>Estimates against the simulator's count_tokens, checked against what running the same upload then costs.</summary>
public class EstimateTests(CostsFixture fixture) : IClassFixture<CostsFixture>
{
    private const string Spec = """{"model": "claude-sonnet-4-5", "system": "SYSTEM", "template": "Review {{custom_id}}: {{text}}", "max_tokens": 48}""";

    [Fact]
    public async Task An_estimate_brackets_the_cost_of_running_the_job_and_stores_nothing()
    {
        using var client = fixture.Api.CreateClient();
        var spec = Spec.Replace("SYSTEM", Filler(6_000), StringComparison.Ordinal);
        var file = Uploads.Csv(60, i => Filler(20 + (i * 37 % 400)));
        var jobsBefore = await WorkerTestKit.ScalarAsync(fixture.Database, "SELECT count(*) FROM batch.jobs WHERE id <> $1", Guid.Empty);
        var countsBefore = fixture.Simulator.GetStats().CountTokensRequests;

        var estimate = await EstimateAsync(client, "/api/jobs/estimate", spec, file);
        var dryRun = await EstimateAsync(client, "/api/jobs?dry_run=true", spec, file);

        Assert.Equal(estimate.ToString(), dryRun.ToString());
        Assert.Equal(jobsBefore, await WorkerTestKit.ScalarAsync(fixture.Database, "SELECT count(*) FROM batch.jobs WHERE id <> $1", Guid.Empty));
        Assert.Equal("count_tokens", estimate.GetProperty("token_counting").GetString());
        // Two for the prefix, ten sampled rows; twice (estimate and dry run).
        Assert.Equal(2 * (2 + 10), fixture.Simulator.GetStats().CountTokensRequests - countsBefore);
        Assert.Equal(60, estimate.GetProperty("rows").GetInt64());
        Assert.Equal(60 * 48, estimate.GetProperty("output_tokens").GetProperty("max").GetInt64());

        var jobId = await Uploads.CreateJobAsync(client, spec, file);
        var job = await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(90));
        var c = job.Counters;
        var actualInput = c.InputTokens + c.CacheWrite5mTokens + c.CacheWrite1hTokens + c.CacheReadTokens;
        var estimatedInput = estimate.GetProperty("input_tokens").GetInt64() + estimate.GetProperty("cache_write_tokens").GetInt64() + estimate.GetProperty("cache_read_tokens").GetInt64();
        Assert.InRange(Math.Abs(estimatedInput - actualInput) / (double)actualInput, 0, 0.03);
        Assert.Equal(c.CacheReadTokens, estimate.GetProperty("cache_read_tokens").GetInt64());
        var cost = estimate.GetProperty("cost_usd");
        Assert.InRange(c.CostUsd, cost.GetProperty("low").GetDecimal(), cost.GetProperty("high").GetDecimal());
        Assert.True(estimate.GetProperty("cost_without_cache_usd").GetDecimal() > cost.GetProperty("expected").GetDecimal());

        // Now an earlier job has the same spec: its average output is what the next estimate expects.
        var again = await EstimateAsync(client, "/api/jobs/estimate", spec, file);
        Assert.Equal((long)Math.Ceiling((double)c.OutputTokens / c.SucceededRows * 60), again.GetProperty("output_tokens").GetProperty("expected").GetInt64());
        Assert.Contains(again.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("average of 60 earlier rows", StringComparison.Ordinal));
        var expected = again.GetProperty("cost_usd").GetProperty("expected").GetDecimal();
        Assert.InRange(Math.Abs(expected - c.CostUsd) / c.CostUsd, 0m, 0.05m);
    }

    [Fact]
    public async Task A_gateway_without_count_tokens_gets_a_character_estimate_and_the_budget_bound_names_its_limit()
    {
        using var client = fixture.Api.CreateClient();
        // Requests under a path the simulator does not serve: count_tokens answers 404, as a gateway without it does.
        using var created = await client.PostAsJsonAsync(new Uri("/api/accounts", UriKind.Relative), new
        {
            name = "gateway",
            base_url = new Uri(fixture.Simulator.BaseUrl, "gateway/").ToString(),
            api_key_setting = "Anthropic:ApiKey",
            rpm = 60,
            input_tpm = 1_000_000,
            output_tpm = 1_000_000,
        });
        created.EnsureSuccessStatusCode();
        var spec = """{"model": "claude-haiku-4-5", "account": "gateway", "template": "Summarise: {{text}}", "max_tokens": 16}""";

        var estimate = await EstimateAsync(client, "/api/jobs/estimate", spec, Uploads.Csv(120));

        Assert.Equal("estimated", estimate.GetProperty("token_counting").GetString());
        Assert.Contains(estimate.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("HTTP 404", StringComparison.Ordinal));
        Assert.Contains(estimate.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("No system prompt", StringComparison.Ordinal));
        // 120 requests at 60 a minute (less the 3 % headroom) bind before a million tokens a minute do.
        Assert.Equal("rpm", estimate.GetProperty("binding_limit").GetString());
        Assert.Equal(Math.Round(120 / (60 * 0.97), 1), estimate.GetProperty("minutes_at_budget").GetDouble());
        Assert.Equal(0, estimate.GetProperty("cache_read_tokens").GetInt64());
    }

    [Fact]
    public async Task A_prefix_below_the_models_cache_minimum_is_a_note_and_is_paid_on_every_row()
    {
        using var client = fixture.Api.CreateClient();
        var spec = Spec.Replace("SYSTEM", "You label reviews.", StringComparison.Ordinal);

        var estimate = await EstimateAsync(client, "/api/jobs/estimate", spec, Uploads.Csv(5));

        Assert.Equal(0, estimate.GetProperty("cache_write_tokens").GetInt64());
        Assert.Contains(estimate.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("below the 1024-token minimum", StringComparison.Ordinal));
        Assert.Equal(estimate.GetProperty("cost_without_cache_usd").GetDecimal(), estimate.GetProperty("cost_usd").GetProperty("expected").GetDecimal());
    }

    private static string Filler(int characters) =>
        string.Concat(Enumerable.Repeat("Arrived late but works well; the battery lasts two days. ", characters / 57 + 1))[..characters];

    private static async Task<JsonElement> EstimateAsync(HttpClient client, string url, string spec, string file)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url, UriKind.Relative)) { Content = Uploads.Form(spec, System.Text.Encoding.UTF8.GetBytes(file), "rows.csv") };
        using var response = await client.SendAsync(request);
        var body = await Uploads.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return body;
    }
}

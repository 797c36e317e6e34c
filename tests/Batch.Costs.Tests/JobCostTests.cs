using System.Net;
using System.Net.Http.Json;
using Batch.Api.Tests;
using Batch.Data.Entities;
using Batch.Data.Pricing;
using Batch.Worker.Tests;
using Microsoft.EntityFrameworkCore;

namespace Batch.Costs.Tests;

public class JobCostTests(CostsFixture fixture) : IClassFixture<CostsFixture>
{
    [Fact]
    public async Task A_jobs_cost_is_its_tokens_by_kind_at_the_price_rows_applied()
    {
        using var client = fixture.Api.CreateClient();
        var system = string.Concat(Enumerable.Repeat("Answer in one short line, in English, without any preamble. ", 80));
        var spec = $$$"""{"model": "claude-sonnet-4-5", "system": "{{{system}}}", "template": "Summarise: {{text}}", "max_tokens": 24, "cache_ttl": "1h", "max_cost_usd": 5}""";
        var jobId = await Uploads.CreateJobAsync(client, spec, Uploads.Csv(25));
        var job = await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(90));

        var cost = await client.GetFromJsonElementAsync($"/api/jobs/{jobId}/cost");

        var c = job.Counters;
        await using var db = fixture.Database.CreateContext();
        var price = await db.ModelPrices.SingleAsync(p => p.ModelPrefix == "claude-sonnet-4-5");
        var byKind = CostCalculator.ByKind(price, new TokenUsage(c.InputTokens, c.CacheWrite5mTokens, c.CacheWrite1hTokens, c.CacheReadTokens, c.OutputTokens));
        var usd = cost.GetProperty("cost_usd");
        Assert.Equal(byKind.Input, usd.GetProperty("input").GetDecimal());
        Assert.Equal(byKind.CacheWrite1h, usd.GetProperty("cache_write_1h").GetDecimal());
        Assert.Equal(byKind.CacheRead, usd.GetProperty("cache_read").GetDecimal());
        Assert.Equal(byKind.Output, usd.GetProperty("output").GetDecimal());
        Assert.Equal(c.CostUsd, usd.GetProperty("total").GetDecimal());
        Assert.Equal(byKind.Total, c.CostUsd);
        Assert.Equal(c.CacheReadTokens, cost.GetProperty("tokens").GetProperty("cache_read").GetInt64());
        Assert.True(c.CacheWrite1hTokens > 0 && c.CacheReadTokens > 0);
        Assert.Equal(Math.Round((double)c.CacheReadTokens / (c.CacheReadTokens + c.CacheWrite1hTokens), 4), cost.GetProperty("cache_hit_rate").GetDouble());
        Assert.Equal(CostCalculator.CacheSavings(price, new TokenUsage(c.InputTokens, 0, c.CacheWrite1hTokens, c.CacheReadTokens, c.OutputTokens)),
            cost.GetProperty("cache_savings_usd").GetDecimal());
        Assert.Equal(25, cost.GetProperty("rows").GetInt64());
        Assert.Equal(5m, cost.GetProperty("max_cost_usd").GetDecimal());
        var applied = Assert.Single(cost.GetProperty("prices").EnumerateArray());
        var row = applied.GetProperty("price");
        Assert.Equal(price.Id, row.GetProperty("id").GetGuid());
        Assert.Equal(price.EffectiveFrom, row.GetProperty("effective_from").GetDateTimeOffset());
        Assert.Equal(price.CacheWrite1hPerMTok, row.GetProperty("cache_write_1h_per_mtok").GetDecimal());
        Assert.Equal(["claude-sonnet-4-5"], applied.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

        // The job shows its cap and its spend against it.
        var status = await client.GetFromJsonElementAsync($"/api/jobs/{jobId}");
        Assert.Equal(5m, status.GetProperty("max_cost_usd").GetDecimal());
        Assert.Equal(c.CostUsd, status.GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task Another_projects_job_has_no_cost_to_show()
    {
        using var admin = fixture.Api.CreateClient();
        var jobId = await Uploads.CreateJobAsync(admin, Uploads.TemplateSpec, Uploads.Csv(2));
        using var other = await fixture.Api.CreateProjectClientAsync("elsewhere");
        using var response = await other.GetAsync(new Uri($"/api/jobs/{jobId}/cost", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var patch = await other.PatchAsJsonAsync(new Uri($"/api/jobs/{jobId}", UriKind.Relative), new { max_cost_usd = 1 });
        Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
    }
}

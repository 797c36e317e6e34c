using System.Net.Http.Json;
using System.Text.Json;
using Batch.Api.Tests;
using Batch.Data.Entities;
using Batch.Worker.Tests;

namespace Batch.Costs.Tests;

/// <summary>An account's monthly cost limit pauses every job on it, and raising it lets them go on by themselves.</summary>
public class AccountLimitTests(CostsFixture fixture) : IClassFixture<CostsFixture>
{
    private const decimal Limit = 0.01m;

    [Fact]
    public async Task The_monthly_limit_pauses_the_accounts_jobs_and_raising_it_resumes_them()
    {
        using var admin = fixture.Api.CreateClient();
        using (var created = await admin.PostAsJsonAsync(new Uri("/api/accounts", UriKind.Relative), new
        {
            name = "capped",
            base_url = fixture.Simulator.BaseUrl.ToString(),
            api_key_setting = "Anthropic:ApiKey",
            rpm = 1_000_000,
            input_tpm = 100_000_000,
            output_tpm = 100_000_000,
            monthly_cost_limit_usd = Limit,
        }))
        {
            created.EnsureSuccessStatusCode();
        }
        const string spec = """{"model": "claude-sonnet-4-5", "account": "capped", "template": "Summarise: {{text}}", "max_tokens": 64}""";
        // About 0.00024 USD a row: the two jobs together need about 0.05 USD, five times the limit.
        var first = await Uploads.CreateJobAsync(admin, spec, Uploads.Csv(100));
        var second = await Uploads.CreateJobAsync(admin, spec, Uploads.Csv(100));

        var paused = new[]
        {
            await WorkerTestKit.WaitForStatusAsync(fixture.Database, first, JobStatus.Paused),
            await WorkerTestKit.WaitForStatusAsync(fixture.Database, second, JobStatus.Paused),
        };
        Assert.All(paused, job => Assert.Contains("monthly cost limit of account 'capped'", job.StatusReason, StringComparison.Ordinal));
        Assert.All(paused, job => Assert.True(job.Counters.SucceededRows < 100));
        var account = await AccountAsync(admin);
        Assert.InRange(account.GetProperty("spent_this_month_usd").GetDecimal(), Limit * 0.8m, Limit);
        Assert.Equal(paused.Sum(j => j.Counters.CostUsd), account.GetProperty("spent_this_month_usd").GetDecimal());
        Assert.Equal(Limit, account.GetProperty("monthly_cost_limit_usd").GetDecimal());

        using (var raised = await admin.PatchAsJsonAsync(new Uri("/api/accounts/capped", UriKind.Relative), new { monthly_cost_limit_usd = 10 }))
        {
            raised.EnsureSuccessStatusCode();
        }
        var done = new[]
        {
            await WorkerTestKit.WaitForStatusAsync(fixture.Database, first, JobStatus.Completed),
            await WorkerTestKit.WaitForStatusAsync(fixture.Database, second, JobStatus.Completed),
        };
        Assert.All(done, job => Assert.Equal(100, job.Counters.SucceededRows));
        account = await AccountAsync(admin);
        Assert.Equal(done.Sum(j => j.Counters.CostUsd), account.GetProperty("spent_this_month_usd").GetDecimal());
        Assert.Equal(0m, account.GetProperty("reserved_usd").GetDecimal());
    }

    [Fact]
    public async Task The_default_accounts_limit_can_be_set_but_nothing_else_of_it()
    {
        using var admin = fixture.Api.CreateClient();
        using var refused = await admin.PatchAsJsonAsync(new Uri("/api/accounts/default", UriKind.Relative), new { rpm = 5, monthly_cost_limit_usd = 100 });
        Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.StatusCode);
        using var set = await admin.PatchAsJsonAsync(new Uri("/api/accounts/default", UriKind.Relative), new { monthly_cost_limit_usd = 100 });
        Assert.Equal(100m, (await Uploads.JsonAsync(set)).GetProperty("monthly_cost_limit_usd").GetDecimal());
        using var removed = await admin.PatchAsync(new Uri("/api/accounts/default", UriKind.Relative), JsonContent.Create(JsonDocument.Parse("""{"monthly_cost_limit_usd": null}""").RootElement));
        Assert.Equal(JsonValueKind.Null, (await Uploads.JsonAsync(removed)).GetProperty("monthly_cost_limit_usd").ValueKind);
        using var negative = await admin.PatchAsJsonAsync(new Uri("/api/accounts/default", UriKind.Relative), new { monthly_cost_limit_usd = -1 });
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, negative.StatusCode);
    }

    private static async Task<JsonElement> AccountAsync(HttpClient client) =>
        (await client.GetFromJsonElementAsync("/api/accounts")).EnumerateArray().Single(a => a.GetProperty("name").GetString() == "capped");
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Tests;

public class AccountsAndPricesTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task An_admin_adds_and_changes_an_account_that_names_its_key_setting_and_jobs_can_use_it()
    {
        using var admin = fixture.Api.CreateClient();
        using var created = await admin.PostAsJsonAsync(new Uri("/api/accounts", UriKind.Relative), new
        {
            name = "gateway", base_url = "https://gateway.example.com/", api_key_setting = "Gateway:ApiKey", rpm = 500, input_tpm = 100_000, output_tpm = 20_000,
            output_budget_mode = "actual_output",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var account = await Uploads.JsonAsync(created);
        Assert.Equal(("https://gateway.example.com", "Gateway:ApiKey", "actual_output"),
            (account.GetProperty("base_url").GetString(), account.GetProperty("api_key_setting").GetString(), account.GetProperty("output_budget_mode").GetString()));

        using var patched = await admin.PatchAsJsonAsync(new Uri("/api/accounts/gateway", UriKind.Relative), new { rpm = 900 });
        Assert.Equal(900, (await Uploads.JsonAsync(patched)).GetProperty("rpm").GetInt32());

        var jobId = await Uploads.CreateJobAsync(admin, """{"model": "m", "template": "{{text}}", "max_tokens": 5, "account": "gateway"}""", Uploads.Csv(1));
        await using var db = fixture.Database.CreateContext();
        Assert.Equal("gateway", (await db.Jobs.Include(j => j.Account).SingleAsync(j => j.Id == jobId)).Account!.Name);

        var listed = await admin.GetStringAsync(new Uri("/api/accounts", UriKind.Relative));
        Assert.Contains("\"default\"", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_in_place_of_a_setting_name_is_refused_and_the_default_account_is_not_edited()
    {
        using var admin = fixture.Api.CreateClient();

        using var withKey = await admin.PostAsJsonAsync(new Uri("/api/accounts", UriKind.Relative), new { name = "leaky", base_url = "https://x.example", api_key_setting = "sk-ant-api03-secret" });
        using var editDefault = await admin.PatchAsJsonAsync(new Uri("/api/accounts/default", UriKind.Relative), new { rpm = 1 });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, withKey.StatusCode);
        Assert.Equal("api_key_setting", (await Uploads.JsonAsync(withKey)).GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Conflict, editDefault.StatusCode);
    }

    [Fact]
    public async Task Prices_list_the_one_in_force_and_an_admin_adds_effective_dated_ones()
    {
        using var admin = fixture.Api.CreateClient();
        var later = DateTimeOffset.UtcNow.AddDays(30);
        using var future = await admin.PostAsJsonAsync(new Uri("/api/prices", UriKind.Relative), new
        {
            model_prefix = "claude-haiku-4-5", effective_from = later, input_per_mtok = 9m, cache_write_5m_per_mtok = 9m, cache_write_1h_per_mtok = 9m,
            cache_read_per_mtok = 0.9m, output_per_mtok = 45m,
        });
        Assert.Equal(HttpStatusCode.Created, future.StatusCode);

        var current = await admin.GetFromJsonAsync<JsonElement>(new Uri("/api/prices", UriKind.Relative));
        var haiku = current.EnumerateArray().Single(p => p.GetProperty("model_prefix").GetString() == "claude-haiku-4-5");
        Assert.Equal(1m, haiku.GetProperty("input_per_mtok").GetDecimal());
        Assert.Equal(1.25m, haiku.GetProperty("cache_write_5m_per_mtok").GetDecimal());
        var all = await admin.GetFromJsonAsync<JsonElement>(new Uri("/api/prices?all=true", UriKind.Relative));
        Assert.Equal(2, all.EnumerateArray().Count(p => p.GetProperty("model_prefix").GetString() == "claude-haiku-4-5"));

        await using var db = fixture.Database.CreateContext();
        db.ApiKeys.Add(new ApiKey { Id = Guid.NewGuid(), Project = "p", Name = "n", KeyHash = Authentication.ApiKeyHasher.Hash("bk_plain"), Prefix = "bk_plain" });
        await db.SaveChangesAsync();
        using var project = fixture.Api.CreateClient("bk_plain");
        using var refused = await project.PostAsJsonAsync(new Uri("/api/prices", UriKind.Relative), new { model_prefix = "x", input_per_mtok = 1m });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var readable = await project.GetAsync(new Uri("/api/prices", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, readable.StatusCode);
    }
}

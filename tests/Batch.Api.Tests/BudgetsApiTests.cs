using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Batch.Data.Entities;

namespace Batch.Api.Tests;

public class BudgetsApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static readonly Uri Sonnet4 = new("/api/accounts/default/budgets/sonnet-4", UriKind.Relative);

    [Fact]
    public async Task Patch_changes_only_the_limits_given_and_a_new_budget_starts_from_the_accounts()
    {
        using var admin = fixture.Api.CreateClient();

        using var first = await admin.PatchAsJsonAsync(Sonnet4, new { rpm = 600 });
        using var second = await admin.PatchAsJsonAsync(Sonnet4, new { output_tpm = 0 });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal((600, ProviderAccount.NewAccountInputTpm, ProviderAccount.NewAccountOutputTpm), Limits(await Uploads.JsonAsync(first)));
        Assert.Equal((600, ProviderAccount.NewAccountInputTpm, 0), Limits(await Uploads.JsonAsync(second)));
        var listed = await admin.GetFromJsonAsync<JsonElement>(new Uri("/api/accounts/default/budgets", UriKind.Relative));
        Assert.Equal((600, ProviderAccount.NewAccountInputTpm, 0), Limits(listed.EnumerateArray().Single(b => b.GetProperty("model_class").GetString() == "sonnet-4")));
    }

    [Fact]
    public async Task Put_replaces_all_three_limits_and_refuses_to_guess_missing_ones()
    {
        using var admin = fixture.Api.CreateClient();
        var opus = new Uri("/api/accounts/default/budgets/opus-4.1", UriKind.Relative);

        using var partial = await admin.PutAsJsonAsync(opus, new { rpm = 600 });
        using var whole = await admin.PutAsJsonAsync(opus, new { rpm = 700, input_tpm = 0, output_tpm = 9000 });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, partial.StatusCode);
        var error = (await Uploads.JsonAsync(partial)).GetProperty("errors")[0];
        Assert.Equal("input_tpm", error.GetProperty("field").GetString());
        Assert.Contains("PATCH", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal((700, 0, 9000), Limits(await Uploads.JsonAsync(whole)));
    }

    [Fact]
    public async Task An_unknown_class_is_404_naming_the_known_ones_and_no_budget_is_created()
    {
        using var admin = fixture.Api.CreateClient();

        using var misspelt = await admin.PatchAsJsonAsync(new Uri("/api/accounts/default/budgets/sonet-4", UriKind.Relative), new { });
        using var noAccount = await admin.PatchAsJsonAsync(new Uri("/api/accounts/nobody/budgets/sonnet-4", UriKind.Relative), new { rpm = 1 });

        Assert.Equal(HttpStatusCode.NotFound, misspelt.StatusCode);
        var detail = (await Uploads.JsonAsync(misspelt)).GetProperty("detail").GetString();
        Assert.Contains("'sonet-4'", detail, StringComparison.Ordinal);
        Assert.Contains("sonnet-4, sonnet-5", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, noAccount.StatusCode);
        Assert.Contains("nobody", (await Uploads.JsonAsync(noAccount)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var db = fixture.Database.CreateContext();
        Assert.False(db.RateBudgets.Any(b => b.ModelClass == "sonet-4"));
    }

    [Theory]
    [InlineData("""{"rpm": -1}""", "rpm")]
    [InlineData("""{"input_tpm": -5}""", "input_tpm")]
    [InlineData("""{}""", "rpm")]
    public async Task A_limit_below_zero_or_no_limit_at_all_is_refused(string body, string field)
    {
        using var admin = fixture.Api.CreateClient();

        using var answer = await admin.PatchAsync(new Uri("/api/accounts/default/budgets/haiku-4.5", UriKind.Relative),
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
        Assert.Equal(field, (await Uploads.JsonAsync(answer)).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    private static (int Rpm, int InputTpm, int OutputTpm) Limits(JsonElement budget) => (
        budget.GetProperty("requests").GetProperty("limit").GetInt32(),
        budget.GetProperty("input_tokens").GetProperty("limit").GetInt32(),
        budget.GetProperty("output_tokens").GetProperty("limit").GetInt32());
}

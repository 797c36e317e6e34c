using System.Net;
using System.Text;
using System.Text.Json;

namespace Batch.Api.Tests;

/// <summary>The spec's <c>delivery</c> and <c>deadline</c>: what <c>auto</c> picks, what the job records, what the estimate prices.</summary>
public class DeliveryTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static string Spec(string delivery, string? deadline) =>
        """{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "delivery": """
        + JsonSerializer.Serialize(delivery) + (deadline is null ? "" : ", \"deadline\": " + JsonSerializer.Serialize(deadline)) + "}";

    // The default account's provider window is 24 h: a deadline at least that far takes the discount, a nearer one does not.
    [Theory]
    [InlineData("auto", "30h", 30 * 60, "provider_batch", "auto: the deadline is 30 h away, which leaves the provider's 24 h window")]
    [InlineData("auto", "1d", 24 * 60, "provider_batch", "auto: the deadline is 24 h away, which leaves")]
    [InlineData("auto", "23h59m", (24 * 60) - 1, "messages", "auto: the deadline is 24 h away, nearer than the provider's 24 h window: messages")]
    [InlineData("auto", "2h", 2 * 60, "messages", "auto: the deadline is 2 h away, nearer than")]
    [InlineData("auto", null, 0, "provider_batch", "auto without a deadline")]
    [InlineData("messages", "48h", 48 * 60, "messages", "Requested: messages.")]
    [InlineData("provider_batch", null, 0, "provider_batch", "Requested: provider_batch.")]
    public async Task Auto_picks_provider_batch_only_when_the_deadline_leaves_the_providers_window(
        string delivery, string? deadline, int minutes, string chosen, string reason)
    {
        using var client = fixture.Api.CreateClient();
        var before = DateTimeOffset.UtcNow;

        var jobId = await Uploads.CreateJobAsync(client, Spec(delivery, deadline), Uploads.Csv(3));

        var job = JsonDocument.Parse(await client.GetStringAsync(new Uri($"/api/jobs/{jobId}", UriKind.Relative))).RootElement;
        Assert.Equal((delivery, chosen), (job.GetProperty("delivery_requested").GetString(), job.GetProperty("delivery").GetString()));
        Assert.StartsWith(reason, job.GetProperty("delivery_reason").GetString(), StringComparison.Ordinal);
        if (deadline is null)
        {
            Assert.Equal(JsonValueKind.Null, job.GetProperty("deadline").ValueKind);
        }
        else
        {
            var at = job.GetProperty("deadline").GetDateTimeOffset();
            var span = TimeSpan.FromMinutes(minutes);
            Assert.InRange(at, before + span, DateTimeOffset.UtcNow + span);
        }
        // A provider batch's shared prefix is cached for an hour unless the spec says otherwise.
        await using var command = fixture.Database.DataSource.CreateCommand("SELECT cache_ttl FROM batch.jobs WHERE id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
        Assert.Equal(chosen == "provider_batch" ? (short)1 : (short)0, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task An_auto_job_whose_deadline_the_budget_cannot_make_is_warned_about()
    {
        using var client = fixture.Api.CreateClient();
        // The default account's 50 requests a minute take an hour for 3,000 rows, and the deadline is a minute away.
        var spec = """{"model": "claude-haiku-4-5", "template": "Summarise: {{text}}", "max_tokens": 16, "delivery": "auto", "deadline": "1m"}""";

        using var response = await Uploads.PostAsync(client, spec, Uploads.Csv(3000), "rows.csv");

        var created = await Uploads.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("messages", created.GetProperty("delivery").GetString());
        var reason = created.GetProperty("delivery_reason").GetString()!;
        Assert.StartsWith("auto: the deadline is 0 h away, nearer than the provider's 24 h window: messages", reason, StringComparison.Ordinal);
        Assert.EndsWith("more than the time left.", reason, StringComparison.Ordinal);
        Assert.Contains(created.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("The job may miss its deadline", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "delivery": "fast"}""", "spec.delivery", "\"messages\", \"provider_batch\" or \"auto\"")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "deadline": "tomorrow"}""", "spec.deadline", "RFC 3339")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "deadline": "2026-11-25T06:00:00"}""", "spec.deadline", "with its offset")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "deadline": "2001-01-01T00:00:00Z"}""", "spec.deadline", "has passed")]
    [InlineData("""{"model": "m", "template": "{{text}}", "max_tokens": 8, "deadline": "0h"}""", "spec.deadline", "longer than zero")]
    public async Task A_bad_delivery_or_deadline_is_refused_naming_its_field(string spec, string field, string message)
    {
        using var client = fixture.Api.CreateClient();

        using var response = await Uploads.PostAsync(client, spec, Uploads.Csv(1), "rows.csv");

        var error = (await Uploads.JsonAsync(response)).GetProperty("errors")[0];
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_estimate_prints_both_prices_and_both_times_the_batch_one_at_half_to_the_cent()
    {
        using var client = fixture.Api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/jobs/estimate", UriKind.Relative))
        {
            Content = Uploads.Form(Spec("auto", "2h"), Encoding.UTF8.GetBytes(Uploads.Csv(500)), "rows.csv", "text/csv"),
        };

        using var response = await client.SendAsync(request);

        var estimate = await Uploads.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var messages = estimate.GetProperty("cost_usd");
        var batch = estimate.GetProperty("provider_batch");
        // No system prompt, so nothing is cached either way: the batch price is exactly the seeded multiplier (0.5) of the other.
        foreach (var part in new[] { "low", "expected", "high" })
        {
            Assert.True(messages.GetProperty(part).GetDecimal() > 0);
            Assert.Equal(messages.GetProperty(part).GetDecimal() * 0.5m, batch.GetProperty("cost_usd").GetProperty(part).GetDecimal());
        }
        Assert.Equal(24, batch.GetProperty("window_hours").GetDouble());
        Assert.Equal(1, batch.GetProperty("slices").GetInt32());
        Assert.True(estimate.TryGetProperty("minutes_at_budget", out _));
        Assert.Equal("messages", estimate.GetProperty("delivery").GetProperty("chosen").GetString());
    }
}

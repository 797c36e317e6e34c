using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Batch.Api.Tests;

public class MoneyTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("0.0015600000", "0.00156")]
    [InlineData("2.50", "2.5")]
    [InlineData("0.0000000000", "0")]
    [InlineData("0.0000000001", "0.0000000001")]
    [InlineData("1234567890.1234567890", "1234567890.123456789")]
    [InlineData("100", "100")]
    public void The_api_writes_money_exactly_without_trailing_zeros(string stored, string written)
    {
        var options = fixture.Api.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

        var json = JsonSerializer.Serialize(new { cost_usd = decimal.Parse(stored, System.Globalization.CultureInfo.InvariantCulture) }, options);

        Assert.Equal($$"""{"cost_usd":{{written}}}""", json);
        Assert.Equal(decimal.Parse(stored, System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.Deserialize<JsonElement>(json).GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task A_jobs_cost_comes_back_as_written_in_the_database_without_its_scale()
    {
        using var admin = fixture.Api.CreateClient();
        var jobId = await Uploads.CreateJobAsync(admin, Uploads.TemplateSpec, Uploads.Csv(1));
        await using (var command = fixture.Database.DataSource.CreateCommand("UPDATE batch.jobs SET cost_usd = 0.00156 WHERE id = $1"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
            await command.ExecuteNonQueryAsync();
        }

        var body = await admin.GetStringAsync(new Uri($"/api/jobs/{jobId}", UriKind.Relative));

        Assert.Contains("\"cost_usd\":0.00156,", body, StringComparison.Ordinal);
    }
}

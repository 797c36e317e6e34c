using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Batch.Api.Tests;
using Batch.Data.Entities;
using Batch.Worker.Tests;

namespace Batch.Costs.Tests;

/// <summary>
/// Random jobs (several models, 5-minute and 1-hour caches, failed rows, an unpriced model, two projects) run by the
/// worker against the simulator; then every grouping of the cost report, in several time zones, is compared with the
/// same groups summed straight from job_rows: equal to the last decimal.
/// </summary>
public class CostReportTests(CostsFixture fixture) : IClassFixture<CostsFixture>
{
    private static readonly string[] Zones = ["UTC", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Lord_Howe"];

    [Fact]
    public async Task The_report_equals_the_rows_recorded_costs_in_every_grouping_and_time_zone()
    {
        var random = new Random(11);
        using var admin = fixture.Api.CreateClient();
        using var teamB = await fixture.Api.CreateProjectClientAsync("team-b");
        var jobs = new List<Guid>
        {
            await RunAsync(admin, Spec("claude-sonnet-4-5", System(6_000), "5m"), Uploads.Csv(random.Next(20, 40))),
            await RunAsync(admin, Spec("claude-haiku-4-5", System(18_000), "1h"), Uploads.Csv(random.Next(15, 30))),
            await RunAsync(teamB, Spec("claude-opus-4-1", null, "5m"), Uploads.Csv(random.Next(10, 20))),
            await RunAsync(teamB, Spec("claude-sonnet-4-5", System(5_000), "1h"), Uploads.Csv(random.Next(10, 20))),
            // Params rows naming their own models; those the simulator does not know (404) are recorded as failed.
            await RunAsync(admin, """{"max_tokens": 32}""", ParamsRows(random, 30), "rows.jsonl"),
            // A model with no price: its rows cost nothing and roll up without a price row.
            await RunAsync(admin, Spec("claude-unpriced-1", null, "5m"), Uploads.Csv(8)),
        };
        // Spread the jobs over days, as if they had run then: each job's rows and rollup move by the same whole hours.
        foreach (var jobId in jobs)
        {
            var hours = random.Next(0, 96);
            await WorkerTestKit.ExecuteAsync(fixture.Database, $"UPDATE batch.job_rows SET completed_at = completed_at - interval '{hours} hours' WHERE job_id = $1", jobId);
            await WorkerTestKit.ExecuteAsync(fixture.Database, $"UPDATE batch.cost_rollups SET hour = hour - interval '{hours} hours' WHERE job_id = $1", jobId);
        }

        var rows = await RecordedRow.ReadAsync(fixture.Database);
        Assert.Contains(rows, r => r.CacheWrite5m > 0);
        Assert.Contains(rows, r => r.CacheWrite1h > 0);
        Assert.Contains(rows, r => r.CacheRead > 0);
        Assert.Contains(rows, r => r is { Model: "gpt-nonexistent", CostUsd: 0 });
        Assert.True(rows.Select(r => r.Model).Distinct().Count() >= 4);
        Assert.True(rows.Select(r => r.CompletedAt.UtcDateTime.Date).Distinct().Count() >= 2);

        var from = DateTimeOffset.UtcNow.AddDays(-6);
        var to = DateTimeOffset.UtcNow.AddDays(1);
        var groupings = Enumerable.Range(1, 63).Select(mask => Groups.Where((_, i) => (mask & (1 << i)) != 0).ToArray()).ToList();
        foreach (var zone in Zones)
        {
            var timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone);
            foreach (var groups in groupings)
            {
                var report = await ReportAsync(admin, from, to, groups, zone);
                // Compared as sets: the report orders names by the database's collation.
                Assert.Equal(Expected(rows, groups, timeZone), report.GetProperty("data").EnumerateArray().Select(Describe).Order(StringComparer.Ordinal));
                Assert.Equal(Sum(rows), Describe(report.GetProperty("total")));
            }
        }
        Assert.Equal(rows.Sum(r => r.CostUsd), (await ReportAsync(admin, from, to, ["job"], "UTC")).GetProperty("total").GetProperty("cost_usd").GetDecimal());

        // A project key sees its own project only, and may not ask for another.
        var own = await ReportAsync(teamB, from, to, ["project", "model"], "UTC");
        Assert.All(own.GetProperty("data").EnumerateArray(), line => Assert.Equal("team-b", line.GetProperty("project").GetString()));
        Assert.Equal(Sum([.. rows.Where(r => r.Project == "team-b")]), Describe(own.GetProperty("total")));
        using var other = await teamB.GetAsync(Url(from, to, ["day"], "UTC") + "&project=admin");
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    [Fact]
    public async Task The_csv_report_has_the_same_lines_and_the_total_last()
    {
        using var admin = fixture.Api.CreateClient();
        var jobId = await RunAsync(admin, Spec("claude-sonnet-4-5", System(6_000), "5m"), Uploads.Csv(12));
        var from = DateTimeOffset.UtcNow.AddDays(-6);
        var to = DateTimeOffset.UtcNow.AddDays(1);

        var json = await ReportAsync(admin, from, to, ["model", "job"], "Europe/Berlin");
        var csv = await admin.GetStringAsync(Url(from, to, ["model", "job"], "Europe/Berlin") + "&format=csv");

        var lines = csv.TrimStart('\uFEFF').TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("model,job_id,job_name,rows,requests,input_tokens,cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens,cost_usd,cache_savings_usd,batch_savings_usd", lines[0]);
        var data = json.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(data.Count + 2, lines.Count);
        Assert.Contains(lines, l => l.Contains(jobId.ToString(), StringComparison.Ordinal));
        for (var i = 0; i < data.Count; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.Equal(data[i].GetProperty("model").GetString(), cells[0]);
            Assert.Equal(data[i].GetProperty("cost_usd").GetDecimal(), decimal.Parse(cells[10], CultureInfo.InvariantCulture));
        }
        var total = lines[^1].Split(',');
        Assert.Equal(["total", "", ""], total[..3]);
        Assert.Equal(json.GetProperty("total").GetProperty("cost_usd").GetDecimal(), decimal.Parse(total[10], CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("group_by=week", "group_by")]
    [InlineData("group_by=day,day", "group_by")]
    [InlineData("time_zone=Mars/Olympus", "time_zone")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-11-10&to=2026-11-01", "to")]
    [InlineData("format=xml", "format")]
    public async Task A_bad_parameter_is_a_400_naming_it(string query, string field)
    {
        using var admin = fixture.Api.CreateClient();
        using var response = await admin.GetAsync(new Uri("/api/reports/costs?" + query, UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await Uploads.JsonAsync(response)).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Dates_cover_whole_days_of_the_time_zone_and_default_to_this_month()
    {
        using var admin = fixture.Api.CreateClient();
        var report = await admin.GetFromJsonElementAsync("/api/reports/costs?from=2026-11-01&to=2026-11-30&time_zone=Asia/Kolkata");
        // Midnight in Kolkata is 18:30 UTC the day before; the hourly rollup answers from 18:00 and says so.
        Assert.Equal(DateTimeOffset.Parse("2026-10-31T18:00:00Z", CultureInfo.InvariantCulture), report.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.Parse("2026-11-30T19:00:00Z", CultureInfo.InvariantCulture), report.GetProperty("to").GetDateTimeOffset());

        var month = await admin.GetFromJsonElementAsync("/api/reports/costs?time_zone=America/New_York");
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
        var start = month.GetProperty("from").GetDateTimeOffset();
        Assert.Equal((now.Year, now.Month, 1, 0), (start.Year, start.Month, start.Day, start.Hour));
        Assert.Equal(["day"], month.GetProperty("group_by").EnumerateArray().Select(g => g.GetString()));
    }

    private static readonly string[] Groups = ["day", "hour", "model", "project", "account", "job"];

    private static string Spec(string model, string? system, string ttl) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["model"] = model,
        ["system"] = system,
        ["template"] = "Summarise: {{text}}",
        ["max_tokens"] = 32,
        ["cache_ttl"] = ttl,
    });

    private static string System(int characters) =>
        string.Concat(Enumerable.Repeat("You label product reviews by sentiment and topic, briefly. ", characters / 58 + 1))[..characters];

    private static string ParamsRows(Random random, int count)
    {
        string[] models = ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-nonexistent"];
        return string.Concat(Enumerable.Range(1, count).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"p{i}",
            @params = new { model = models[random.Next(models.Length)], messages = new[] { new { role = "user", content = $"Params row {i}: {new string('x', random.Next(5, 200))}" } } },
        }) + "\n"));
    }

    private async Task<Guid> RunAsync(HttpClient client, string spec, string file, string fileName = "rows.csv")
    {
        var jobId = await Uploads.CreateJobAsync(client, spec, file, fileName);
        await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed, TimeSpan.FromSeconds(90));
        return jobId;
    }

    private static string Url(DateTimeOffset from, DateTimeOffset to, string[] groups, string zone) =>
        $"/api/reports/costs?from={Uri.EscapeDataString(from.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture))}" +
        $"&to={Uri.EscapeDataString(to.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture))}&group_by={string.Join(',', groups)}&time_zone={Uri.EscapeDataString(zone)}";

    private static Task<JsonElement> ReportAsync(HttpClient client, DateTimeOffset from, DateTimeOffset to, string[] groups, string zone) =>
        client.GetFromJsonElementAsync(Url(from, to, groups, zone));

    /// <summary>
    /// The groups summed from the rows. A row counts in the hour its UTC hour starts, seen in the zone: the rollup's own
    /// rule, which for whole-hour zones is the row's own local day and hour.
    /// </summary>
    private static List<string> Expected(List<RecordedRow> rows, string[] groups, TimeZoneInfo zone) =>
        [.. rows.GroupBy(r => Key(r, groups, zone), StringComparer.Ordinal)
            .Select(g => g.Key + " " + Sum([.. g]))
            .Order(StringComparer.Ordinal)];

    private static string Key(RecordedRow row, string[] groups, TimeZoneInfo zone)
    {
        var utc = row.CompletedAt.ToUniversalTime();
        var bucket = TimeZoneInfo.ConvertTime(new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero), zone);
        return string.Join('|', groups.Select(g => g switch
        {
            "day" => bucket.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "hour" => bucket.UtcDateTime.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture),
            "model" => row.Model,
            "project" => row.Project,
            "account" => row.Account,
            _ => row.JobId.ToString(),
        }));
    }

    private static string Sum(IReadOnlyList<RecordedRow> rows) => string.Create(CultureInfo.InvariantCulture,
        $"rows {rows.Count} requests {rows.Sum(r => r.Attempts)} tokens {rows.Sum(r => r.Input)}/{rows.Sum(r => r.CacheWrite5m)}/{rows.Sum(r => r.CacheWrite1h)}/{rows.Sum(r => r.CacheRead)}/{rows.Sum(r => r.Output)} cost {rows.Sum(r => r.CostUsd):0.##########} savings {rows.Sum(r => r.CacheSavingsUsd):0.##########}");

    /// <summary>A report line as the oracle describes one: its keys joined as <see cref="Key"/> does, then its figures.</summary>
    private static string Describe(JsonElement line)
    {
        var keys = new List<string>();
        foreach (var group in Groups)
        {
            var name = group == "job" ? "job_id" : group;
            if (line.TryGetProperty(name, out var value))
            {
                keys.Add(group == "hour" ? value.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture) : value.GetString()!);
            }
        }
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"rows {line.GetProperty("rows").GetInt64()} requests {line.GetProperty("requests").GetInt64()} tokens {line.GetProperty("input_tokens").GetInt64()}/{line.GetProperty("cache_write_5m_tokens").GetInt64()}/{line.GetProperty("cache_write_1h_tokens").GetInt64()}/{line.GetProperty("cache_read_tokens").GetInt64()}/{line.GetProperty("output_tokens").GetInt64()} cost {line.GetProperty("cost_usd").GetDecimal():0.##########} savings {line.GetProperty("cache_savings_usd").GetDecimal():0.##########}");
        return keys.Count == 0 ? figures : string.Join('|', keys) + " " + figures;
    }
}

internal static class JsonClientExtensions
{
    public static async Task<JsonElement> GetFromJsonElementAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await Uploads.JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }
}

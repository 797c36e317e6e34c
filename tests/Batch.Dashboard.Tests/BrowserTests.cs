using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Batch.Api.Tests;
using Batch.Data.Entities;
using Batch.Testing;
using Batch.Worker.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Batch.Dashboard.Tests;

/// <summary>The dashboard in Debian's Chromium, against the real API host and a worker running jobs on the simulator.</summary>
public class BrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private const string Markup = "<img src=x onerror=alert(1)>";

    [Fact]
    public async Task A_signed_in_browser_sees_a_batch_advance_pauses_it_resumes_it_and_sees_it_complete()
    {
        using var admin = fixture.Api.CreateClient();
        // A system prompt long enough to cache: the page then shows cache reads, the hit rate and what the cache saved.
        var system = string.Concat(Enumerable.Repeat("Label each review as positive, negative or mixed, and say why in one line. ", 70));
        var spec = $$$"""{"name": "Nightly reviews", "model": "{{{WorkerTestKit.Model}}}", "system": "{{{system}}}", "template": "Review: {{text}}", "max_tokens": 16}""";
        // Two other batches beside it, one done and one canceled, as a list usually has.
        var done = await Uploads.CreateJobAsync(admin, Spec("Weekly digest"), Uploads.Csv(10));
        var canceled = await Uploads.CreateJobAsync(admin, Spec("Product questions"), Uploads.Csv(40));
        using (var cancel = await admin.PostAsync(new Uri($"/api/jobs/{canceled}/cancel", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }
        await WorkerTestKit.WaitForStatusAsync(fixture.Database, done, JobStatus.Completed);
        var jobId = await Uploads.CreateJobAsync(admin, spec, Uploads.Csv(300));
        var page = await NewPageAsync();

        await SignInAsync(page, TestHosts.AdminKey);
        var row = page.Locator($"tr[data-batch-id='{jobId}']");
        await Expect(row.Locator("[data-status]")).ToHaveTextAsync("running");
        await Expect(row.Locator(".batch-progress .progress-bar-success")).ToBeVisibleAsync();
        // Drawn again once warm: the footer shows how long drawing took, and the first page of a process includes start-up.
        await page.ReloadAsync();
        await Chromium.ScreenshotAsync(page, "batches");
        await row.Locator("a.batch-name").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/hangfire/batches/{jobId}$"));
        // Set on this document only: still there at the end means the page was never reloaded.
        await page.EvaluateAsync("() => { window.batchPageMarker = 'same page'; }");
        var progress = page.Locator("[data-region=summary] .batch-progress");
        var status = page.Locator("[data-region=summary] [data-status]");
        var before = await progress.GetAttributeAsync("data-succeeded");
        await Expect(progress).Not.ToHaveAttributeAsync("data-succeeded", before!);
        await Chromium.ScreenshotAsync(page, "batch");

        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(status).ToHaveTextAsync("paused");
        Assert.Equal(JobStatus.Paused, (await WorkerTestKit.ReadJobAsync(fixture.Database, jobId)).Status);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(status).ToHaveTextAsync("completed", new() { Timeout = 90_000 });

        await Expect(progress).ToHaveAttributeAsync("data-succeeded", "300");
        await Expect(page.Locator("[data-region=summary] [data-count=succeeded]")).ToHaveTextAsync("300");
        Assert.Equal("same page", await page.EvaluateAsync<string>("() => window.batchPageMarker"));
        Assert.Equal(300, (await WorkerTestKit.ReadJobAsync(fixture.Database, jobId)).Counters.SucceededRows);
    }

    [Fact]
    public async Task Names_prompts_and_templates_that_look_like_markup_render_as_text()
    {
        using var admin = fixture.Api.CreateClient();
        var spec = $$$"""{"name": "{{{Markup}}}", "model": "{{{WorkerTestKit.Model}}}", "system": "<script>alert(2)</script> Classify.", "template": "<b>{{text}}</b>", "max_tokens": 16}""";
        var jobId = await Uploads.CreateJobAsync(admin, spec, Uploads.Csv(5));
        var page = await NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => dialogs.Add(dialog.Message);

        await SignInAsync(page, TestHosts.AdminKey);
        await Expect(page.Locator($"tr[data-batch-id='{jobId}'] a.batch-name")).ToHaveTextAsync(Markup);
        await page.GotoAsync($"/hangfire/batches/{jobId}");
        await Expect(page.Locator("#page-title")).ToHaveTextAsync(Markup);
        await Expect(page.Locator(".batch-spec")).ToContainTextAsync("<script>alert(2)</script> Classify.");
        await Expect(page.Locator(".batch-spec")).ToContainTextAsync("<b>{{text}}</b>");
        // Completion arrives through the live refresh: the swapped regions are encoded too.
        await Expect(page.Locator("[data-region=summary] [data-status]")).ToHaveTextAsync("completed");
        await page.GotoAsync("/hangfire/jobs/succeeded");
        await Expect(page.GetByText($"Rows of '{Markup}' (chunk 1)")).ToBeVisibleAsync();

        Assert.Equal(0, await page.Locator("img[src='x'], .batch-spec b, .batch-spec script").CountAsync());
        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task An_anonymous_browser_is_sent_to_sign_in_and_wrong_or_project_keys_are_refused()
    {
        using var project = await fixture.Api.CreateProjectClientAsync("acme");
        var projectKey = project.DefaultRequestHeaders.Authorization!.Parameter!;
        var page = await NewPageAsync();

        await page.GotoAsync("/hangfire/batches");
        await Expect(page).ToHaveURLAsync(new Regex("/hangfire/sign-in\\?ReturnUrl=%2Fhangfire%2Fbatches$"));
        var wrong = await SubmitKeyAsync(page, "bk_not-a-key");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid or has been revoked");
        var refused = await SubmitKeyAsync(page, projectKey);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("project 'acme'. Only admin keys open the dashboard.");

        Assert.Equal((401, 403), (wrong.Status, refused.Status));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "batch_session");
        // Scripts keep their answers: 403 for a project key, 401 with both challenges for none.
        using var projectAnswer = await project.GetAsync(new Uri("/hangfire/batches", UriKind.Relative));
        using var anonymous = fixture.Api.CreateClient(bearerKey: null);
        using var anonymousAnswer = await anonymous.GetAsync(new Uri("/hangfire/batches", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, projectAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousAnswer.StatusCode);
        Assert.Equal(["Bearer", "Basic"], anonymousAnswer.Headers.WwwAuthenticate.Select(h => h.Scheme));
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_strict_and_expiring_reads_downloads_but_changes_nothing_and_signs_out()
    {
        var jobId = await CompletedJobAsync("Cookie check", 3);
        var page = await NewPageAsync();
        await page.GotoAsync("/hangfire/sign-in");
        var signIn = await SubmitKeyAsync(page, TestHosts.AdminKey);
        await Expect(page).ToHaveURLAsync(new Regex("/hangfire/batches$"));
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "batch_session");
        // The lifetime the API grants, read from its answer: Chromium stores Expires shifted by its own estimate of the
        // skew between our Date header and its clock, which was seen off by -20 s to +77 s on a loaded machine.
        var lifetime = SessionExpires(await signIn.HeaderValueAsync("set-cookie")) - DateTimeOffset.Parse(signIn.Headers["date"], CultureInfo.InvariantCulture);
        var download = await page.APIRequest.GetAsync($"/api/jobs/{jobId}/results?format=csv");
        var change = await page.APIRequest.PostAsync($"/api/jobs/{jobId}/retry-failed");

        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.False(session.Secure, "plain HTTP here; over HTTPS the cookie is Secure");
        Assert.True(lifetime > TimeSpan.FromHours(7.9) && lifetime <= TimeSpan.FromHours(8) + TimeSpan.FromSeconds(5), $"the cookie expires in {lifetime}");
        Assert.DoesNotContain(TestHosts.AdminKey, session.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(TestHosts.AdminKey)), session.Value, StringComparison.Ordinal);
        Assert.Equal(200, download.Status);
        Assert.StartsWith("custom_id,text,output_text", await download.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(401, change.Status);

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/hangfire/sign-in$"));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "batch_session");
        await page.GotoAsync("/hangfire/batches");
        await Expect(page).ToHaveURLAsync(new Regex("/hangfire/sign-in\\?ReturnUrl="));
    }

    [Fact]
    public async Task A_read_only_dashboard_shows_no_buttons_and_refuses_their_posts()
    {
        using var admin = fixture.Api.CreateClient();
        var jobId = await Uploads.CreateJobAsync(admin, Spec("Paused at once"), Uploads.Csv(50));
        using var pause = await admin.PostAsync(new Uri($"/api/jobs/{jobId}/pause", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        var page = await SignedInPageAsync();
        await page.GotoAsync($"/hangfire/batches/{jobId}");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resume" })).ToBeVisibleAsync();
        // The API reads the setting on each request (a second API host in this process would share Hangfire's statics).
        var configuration = fixture.Api.Services.GetRequiredService<IConfiguration>();
        configuration["Batch:Dashboard:ReadOnly"] = "true";
        try
        {
            await page.ReloadAsync();
            await Expect(page.Locator("[data-region=summary] [data-status]")).ToHaveTextAsync("paused");
            await Expect(page.Locator("[data-batch-action]")).ToHaveCountAsync(0);
            // The same POST the button would send, with Hangfire's anti-forgery header: refused.
            var status = await page.EvaluateAsync<int>("""
                async url => (await fetch(url, { method: 'POST', headers: {
                    [document.querySelector('meta[name=csrf-header]').content]: document.querySelector('meta[name=csrf-token]').content } })).status
                """, $"/hangfire/batches/{jobId}/resume");

            Assert.Equal(403, status);
            Assert.Equal(JobStatus.Paused, (await WorkerTestKit.ReadJobAsync(fixture.Database, jobId)).Status);
        }
        finally
        {
            configuration["Batch:Dashboard:ReadOnly"] = null;
        }
    }

    [Fact]
    public async Task An_expired_batch_draws_its_expired_rows_beside_the_succeeded_ones_on_the_list_and_its_page()
    {
        using var admin = fixture.Api.CreateClient();
        const int rows = 200;
        var jobId = await Uploads.CreateJobAsync(admin, Spec("Expiring"), Uploads.Csv(rows));
        // At ten rows a second, the job is still running once some rows are in: then it reaches its time.
        await WorkerTestKit.WaitUntilAsync(async () => (await WorkerTestKit.ReadJobAsync(fixture.Database, jobId)).Counters.SucceededRows >= 5,
            TimeSpan.FromSeconds(60), () => "five rows recorded");
        await WorkerTestKit.ExecuteAsync(fixture.Database, "UPDATE batch.jobs SET expires_at = now() WHERE id = $1", jobId);
        await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Expired);
        Job job = null!;
        await WorkerTestKit.WaitUntilAsync(async () =>
            {
                var c = (job = await WorkerTestKit.ReadJobAsync(fixture.Database, jobId)).Counters;
                return c.SucceededRows + c.FailedRows + c.CanceledRows + c.ExpiredRows == rows;
            }, TimeSpan.FromSeconds(30), () => "the rows in flight recorded");
        var (succeeded, expired) = (job.Counters.SucceededRows, job.Counters.ExpiredRows);
        Assert.True(succeeded >= 5 && expired > 0, $"{succeeded} succeeded, {expired} expired");
        var page = await SignedInPageAsync();

        await page.GotoAsync("/hangfire/batches?status=expired");
        var bar = page.Locator($"tr[data-batch-id='{jobId}'] .batch-progress");
        await Expect(bar.Locator(".progress-bar-expired")).ToBeVisibleAsync();
        await Expect(bar.Locator(".progress-bar-success")).ToBeVisibleAsync();
        await Expect(bar).ToHaveAttributeAsync("title", $"{succeeded:N0} succeeded, 0 failed, 0 canceled, {expired:N0} expired, 0 to do");
        await Expect(page.Locator(".batch-legend [data-legend=expired] .progress-bar-expired")).ToBeVisibleAsync();
        await page.GotoAsync($"/hangfire/batches/{jobId}");
        var summary = page.Locator("[data-region=summary]");
        await Expect(summary.Locator("[data-count=expired]")).ToHaveTextAsync($"{expired:N0}");
        await Expect(summary.Locator(".batch-legend [data-legend=expired]")).ToHaveTextAsync($"{expired:N0} expired");
        await Expect(summary.Locator(".batch-legend [data-legend=succeeded]")).ToHaveTextAsync($"{succeeded:N0} succeeded");
        await Expect(summary.Locator(".batch-progress")).ToHaveAttributeAsync("data-expired", $"{expired}");

        // Drawn in the same proportions as the rows: the expired segment's share of the bar is the expired rows' share.
        var widths = await summary.Locator(".batch-progress").EvaluateAsync<double[]>(
            "bar => ['success', 'expired'].map(k => bar.querySelector('.progress-bar-' + k).getBoundingClientRect().width / bar.getBoundingClientRect().width)");
        Assert.InRange(widths[0], (double)succeeded / rows - 0.01, (double)succeeded / rows + 0.01);
        Assert.InRange(widths[1], (double)expired / rows - 0.01, (double)expired / rows + 0.01);
    }

    [Fact]
    public async Task The_spec_shows_the_output_schema_cut_short_its_mode_and_its_retries()
    {
        using var admin = fixture.Api.CreateClient();
        var reasons = string.Join(", ", Enumerable.Range(1, 60).Select(i => $"\"reason_{i}\": {{\"type\": \"string\"}}"));
        var spec = $$$"""
            {"name": "Schema spec", "model": "{{{WorkerTestKit.Model}}}", "template": "Classify: {{text}}", "max_tokens": 16,
             "output_schema": {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "negative"]}, {{{reasons}}}},
                               "additionalProperties": false},
             "output_mode": "tool", "schema_retries": 3}
            """;
        var jobId = await Uploads.CreateJobAsync(admin, spec, Uploads.Csv(2));
        var page = await SignedInPageAsync();

        await page.GotoAsync($"/hangfire/batches/{jobId}");

        var specTable = page.Locator(".batch-spec");
        await Expect(specTable.Locator("[data-spec=output_mode]")).ToHaveTextAsync("tool");
        await Expect(specTable.Locator("[data-spec=schema_retries]")).ToHaveTextAsync("3");
        var schema = await specTable.Locator("tr", new() { HasText = "Output schema" }).Locator("code").TextContentAsync();
        Assert.StartsWith("{\"type\": \"object\", \"properties\": {\"sentiment\"", schema, StringComparison.Ordinal);
        Assert.EndsWith("…", schema, StringComparison.Ordinal);
        Assert.True(schema!.Length <= 401, $"{schema.Length} characters");
    }

    [Fact]
    public async Task Budgets_and_costs_draw_their_charts_from_what_jobs_recorded()
    {
        var jobId = await CompletedJobAsync("Costed", 40);
        var page = await SignedInPageAsync();
        await page.GotoAsync("/hangfire/budgets");
        var budget = page.Locator(".batch-budget", new() { HasText = "sonnet-4" });
        await Expect(budget.Locator("tbody tr").First).ToContainTextAsync(DashboardFixture.Rpm.ToString("N0", CultureInfo.InvariantCulture));
        await page.WaitForFunctionAsync("() => Object.keys(Chart.instances).length > 0");
        await Chromium.ScreenshotAsync(page, "budgets");
        await page.GotoAsync("/hangfire/costs");
        await Expect(page.Locator("[data-cost=total]")).Not.ToHaveTextAsync("$0.0000");
        await page.WaitForFunctionAsync("() => Object.keys(Chart.instances).length > 0");
        await Chromium.ScreenshotAsync(page, "costs");

        var spent = (await WorkerTestKit.ReadJobAsync(fixture.Database, jobId)).Counters.CostUsd;
        Assert.True(spent > 0);
        await Expect(page.Locator(".navbar [data-metric='batches:running']")).ToBeVisibleAsync();
    }

    private static string Spec(string name) =>
        $$$"""{"name": "{{{name}}}", "model": "{{{WorkerTestKit.Model}}}", "template": "Classify: {{text}}", "max_tokens": 16}""";

    private async Task<Guid> CompletedJobAsync(string name, int rows)
    {
        using var admin = fixture.Api.CreateClient();
        var jobId = await Uploads.CreateJobAsync(admin, Spec(name), Uploads.Csv(rows));
        await WorkerTestKit.WaitForStatusAsync(fixture.Database, jobId, JobStatus.Completed);
        return jobId;
    }

    private async Task<IPage> SignedInPageAsync()
    {
        var page = await NewPageAsync();
        await SignInAsync(page, TestHosts.AdminKey);
        return page;
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Api.BaseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        return await context.NewPageAsync();
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/hangfire/sign-in");
        var answer = await SubmitKeyAsync(page, key);
        Assert.Equal(302, answer.Status);
        await Expect(page).ToHaveURLAsync(new Regex("/hangfire/batches$"));
    }

    private static DateTimeOffset SessionExpires(string? setCookie)
    {
        var session = SetCookieHeaderValue.ParseList(setCookie?.Split('\n') ?? []).Single(c => c.Name == "batch_session");
        return session.Expires ?? throw new Xunit.Sdk.XunitException("the session cookie has no Expires");
    }

    /// <summary>Submits the sign-in form and returns the answer to its POST.</summary>
    private static async Task<IResponse> SubmitKeyAsync(IPage page, string key)
    {
        await page.Locator("#key").FillAsync(key);
        return await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.Contains("/hangfire/sign-in", StringComparison.Ordinal));
    }
}

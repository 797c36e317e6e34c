using System.Text.Json;
using Hangfire.Dashboard;

namespace Batch.Api.Dashboard;

/// <summary>
/// Serves a dashboard page whose data is read asynchronously first (Hangfire renders pages synchronously), then drawn
/// by Hangfire's own page dispatcher, in its layout. A page with no data (an unknown batch) answers 404.
/// </summary>
internal sealed class PageDispatcher<TModel>(Func<DashboardContext, Task<TModel?>> load, Func<TModel, RazorPage> page) : IDashboardDispatcher
    where TModel : class
{
    public async Task Dispatch(DashboardContext context)
    {
        var model = await load(context);
        if (model is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("Not found");
            return;
        }
        var render = new Hangfire.Dashboard.RouteCollection();
        render.AddRazorPage("/", _ => page(model));
        await render.FindDispatcher("/").Item1.Dispatch(context);
    }
}

/// <summary>
/// The data of a page's live refresh: the HTML of each live region (drawn by the same code as the page) and the
/// series of its charts. The page's script swaps regions whose HTML changed and redraws the charts, without a reload.
/// </summary>
internal sealed record LiveAnswer(IReadOnlyDictionary<string, string> Regions, IReadOnlyDictionary<string, ChartData> Charts)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>JSON safe to put inside a script element: the default encoder escapes &lt;, &gt; and &amp;.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>A chart for Chart.js (bundled with Hangfire's dashboard): times in Unix milliseconds and named series.</summary>
internal sealed record ChartData(string Kind, bool Stacked, string Unit, IReadOnlyList<long> Times, IReadOnlyList<ChartSeries> Series, string? YLabel = null);

/// <summary>One series; <c>Axis</c> "right" puts it on a second scale (counts beside rates).</summary>
internal sealed record ChartSeries(string Label, string Color, IReadOnlyList<double> Values, string Axis = "left", string? Kind = null);

/// <summary>Answers a page's live refresh as JSON (GET, no page reload).</summary>
internal sealed class LiveDispatcher<TModel>(Func<DashboardContext, Task<TModel?>> load, Func<TModel, DashboardContext, LiveAnswer> answer) : IDashboardDispatcher
    where TModel : class
{
    public async Task Dispatch(DashboardContext context)
    {
        var model = await load(context);
        context.Response.ContentType = "application/json";
        context.GetHttpContext().Response.Headers.CacheControl = "no-store";
        if (model is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("{}");
            return;
        }
        await context.Response.WriteAsync(answer(model, context).ToJson());
    }
}

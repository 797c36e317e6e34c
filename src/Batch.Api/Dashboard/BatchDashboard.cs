using Batch.Api.Authentication;
using Hangfire;
using Hangfire.Dashboard;

namespace Batch.Api.Dashboard;

/// <summary>
/// Batch's pages inside Hangfire's dashboard, through Hangfire's own extension points: <see cref="DashboardRoutes"/> for
/// the pages (drawn in Hangfire's <c>LayoutPage</c>), their live data and the buttons; <see cref="NavigationMenu"/> for
/// Batches (with the running and paused metrics), Budgets, Costs and Sign out; Hangfire's script and style bundles for
/// ours, which draw with the Chart.js Hangfire already ships.
/// </summary>
public static class BatchDashboard
{
    private static readonly Lock Registering = new();
    private static bool _registered;

    /// <summary>Maps <c>/hangfire</c>, admin keys and admin browser sessions only.</summary>
    public static IEndpointConventionBuilder MapBatchDashboard(this WebApplication app)
    {
        RegisterPages();
        return app.MapHangfireDashboard(BrowserSessions.DashboardPath, new DashboardOptions
        {
            DashboardTitle = "Batch",
            // The dashboard's "Back to site" link: the API reference, the one page of the API a browser can show.
            AppPath = "/docs",
            DisplayStorageConnectionString = false,
            // ASP.NET Core authorization guards the route below; Hangfire's own filter would let localhost in.
            Authorization = [],
            AsyncAuthorization = [],
            // Hides Hangfire's buttons and Batch's alike, and refuses their POSTs; read per request, so a change applies at once.
            IsReadOnlyFunc = context => context.Service<IConfiguration>().GetValue($"{BrowserSessions.Section}:ReadOnly", false),
        }).RequireAuthorization(BatchPolicies.Admin);
    }

    /// <summary>Hangfire's routes, menu and bundles are process-wide: added once however many hosts a process starts (tests).</summary>
    private static void RegisterPages()
    {
        lock (Registering)
        {
            if (_registered)
            {
                return;
            }
            _registered = true;
        }
        var routes = DashboardRoutes.Routes;
        routes.Add(BatchesPage.LiveRoute, new LiveDispatcher<BatchesModel>(BatchesModel.LoadAsync, BatchesPage.Live));
        routes.Add(BatchesPage.Route, new PageDispatcher<BatchesModel>(BatchesModel.LoadAsync, model => new BatchesPage(model)));
        routes.Add(BatchPage.LiveRoute, new LiveDispatcher<BatchModel>(BatchModel.LoadAsync, BatchPage.Live));
        routes.Add(ActionDispatcher.Route, new ActionDispatcher());
        routes.Add(BatchPage.Route, new PageDispatcher<BatchModel>(BatchModel.LoadAsync, model => new BatchPage(model)));
        routes.Add(BudgetsPage.LiveRoute, new LiveDispatcher<BudgetsModel>(BudgetsModel.LoadAsync, BudgetsPage.Live));
        routes.Add(BudgetsPage.Route, new PageDispatcher<BudgetsModel>(BudgetsModel.LoadAsync, model => new BudgetsPage(model)));
        routes.Add(CostsPage.Route, new PageDispatcher<CostsModel>(CostsModel.LoadAsync, model => new CostsPage(model)));

        foreach (var metric in StatusCounts.Metrics)
        {
            DashboardMetrics.AddMetric(metric);
        }
        // Batches first: it is what people open the dashboard for.
        NavigationMenu.Items.InsertRange(0,
        [
            page => new MenuItem("Batches", page.Url.To(BatchesPage.Route))
            {
                Active = page.RequestPath.StartsWith(BatchesPage.Route, StringComparison.OrdinalIgnoreCase),
                Metrics = [StatusCounts.Running, StatusCounts.PausedOrNull],
            },
            page => new MenuItem("Budgets", page.Url.To(BudgetsPage.Route)) { Active = page.RequestPath.StartsWith(BudgetsPage.Route, StringComparison.OrdinalIgnoreCase) },
            page => new MenuItem("Costs", page.Url.To(CostsPage.Route)) { Active = page.RequestPath.StartsWith(CostsPage.Route, StringComparison.OrdinalIgnoreCase) },
        ]);
        // Only a browser session can sign out; a script's key is not a session.
        NavigationMenu.Items.Add(page => page.Context.GetHttpContext().User.Identity?.AuthenticationType == BrowserSessions.CookieScheme
            ? new MenuItem("Sign out", BrowserSessions.SignOutPath)
            : null);

        var assembly = typeof(BatchDashboard).Assembly;
        DashboardRoutes.AddJavaScript(assembly, "Batch.Api.Dashboard.Content.batch-dashboard.js");
        DashboardRoutes.AddStylesheet(assembly, "Batch.Api.Dashboard.Content.batch-dashboard.css");
    }
}

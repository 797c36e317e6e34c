using Batch.Api.Authentication;
using Hangfire.Dashboard;

namespace Batch.Api.Dashboard;

/// <summary>What a dashboard page or endpoint needs of its request: services, the caller, query values.</summary>
internal static class DashboardRequests
{
    public static T Service<T>(this DashboardContext context) where T : notnull =>
        context.GetHttpContext().RequestServices.GetRequiredService<T>();

    public static Caller Caller(this DashboardContext context) => context.GetHttpContext().User.ToCaller();

    public static CancellationToken Aborted(this DashboardContext context) => context.GetHttpContext().RequestAborted;

    public static string? Query(this DashboardContext context, string name) =>
        context.Request.GetQuery(name) is { Length: > 0 } value ? value : null;

    public static int QueryInt(this DashboardContext context, string name, int fallback, int min, int max) =>
        int.TryParse(context.Query(name), out var value) ? Math.Clamp(value, min, max) : fallback;
}

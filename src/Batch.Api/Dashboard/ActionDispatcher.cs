using System.Text.Json;
using Batch.Api.Authentication;
using Batch.Api.Jobs;
using Hangfire.Dashboard;

namespace Batch.Api.Dashboard;

/// <summary>
/// The batch page's buttons: pause, resume, cancel and retry-failed, through the same <see cref="JobActions"/> as the
/// REST API. Hangfire's middleware has already checked the anti-forgery token of the POST; a read-only dashboard refuses.
/// Answers 204, or 404 / 409 with the reason as <c>{"error": ...}</c>.
/// </summary>
internal sealed class ActionDispatcher : IDashboardDispatcher
{
    public const string Route = "/batches/(?<id>[0-9a-fA-F-]{36})/(?<action>pause|resume|cancel|retry-failed)";

    public async Task Dispatch(DashboardContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (context.IsReadOnly)
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "The dashboard is read-only.");
            return;
        }
        var id = Guid.Parse(context.UriMatch.Groups["id"].Value);
        var actions = context.Service<JobActions>();
        Func<Guid, Caller, CancellationToken, Task<JobActionOutcome>> act = context.UriMatch.Groups["action"].Value switch
        {
            "pause" => actions.PauseAsync,
            "resume" => actions.ResumeAsync,
            "cancel" => actions.CancelAsync,
            _ => actions.RetryFailedAsync,
        };
        var outcome = await act(id, context.Caller(), context.Aborted());
        if (!outcome.Found)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "There is no such batch.");
        }
        else if (!outcome.Done)
        {
            await RefuseAsync(context, StatusCodes.Status409Conflict, outcome.Reason ?? "Refused.");
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
    }

    private static Task RefuseAsync(DashboardContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = reason }));
    }
}

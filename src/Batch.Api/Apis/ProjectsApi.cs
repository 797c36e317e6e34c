using System.Security.Claims;
using System.Text.Json;
using Batch.Api.Authentication;
using Batch.Api.Problems;
using Batch.Data;
using Batch.Data.Entities;
using Batch.Data.Retention;
using Batch.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Batch.Api.Apis;

/// <summary>
/// A project's own settings: the default webhook of its jobs and how long its results are kept. A key reads and changes
/// its own project's; an admin key any project's.
/// </summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/projects").WithTags("Projects");
        api.MapGet("/{project}", GetAsync)
            .WithName("GetProject")
            .WithSummary("A project's default webhook_url and retention_days (null: the server's default), and the retention in force.");
        api.MapPatch("/{project}", UpdateAsync)
            .WithName("UpdateProject")
            .WithSummary("Set or clear (null) the project's webhook_url (jobs without one of their own report there) and retention_days.");
        return app;
    }

    public sealed record ProjectResponse(string Project, string? WebhookUrl, int? RetentionDays, int EffectiveRetentionDays);

    /// <summary>Each field: absent leaves it, null clears it, a value sets it.</summary>
    public sealed record ProjectUpdateRequest(JsonElement WebhookUrl, JsonElement RetentionDays);

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> GetAsync(
        string project, ClaimsPrincipal user, BatchDbContext db, IOptions<RetentionOptions> retention, CancellationToken cancellationToken)
    {
        if (!MaySee(user.ToCaller(), project))
        {
            return ProblemResults.NotFound("project");
        }
        var settings = await db.ProjectSettings.AsNoTracking().SingleOrDefaultAsync(p => p.Project == project, cancellationToken);
        return TypedResults.Ok(Response(project, settings, retention.Value));
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> UpdateAsync(
        string project, ProjectUpdateRequest request, ClaimsPrincipal user, BatchDbContext db, IOptions<RetentionOptions> retention,
        IOptions<WebhookOptions> webhooks, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!MaySee(user.ToCaller(), project))
        {
            return ProblemResults.NotFound("project");
        }
        var settings = await db.ProjectSettings.SingleOrDefaultAsync(p => p.Project == project, cancellationToken);
        if (settings is null)
        {
            settings = new ProjectSetting { Project = project };
            db.ProjectSettings.Add(settings);
        }
        switch (request.WebhookUrl.ValueKind)
        {
            case JsonValueKind.Undefined:
                break;
            case JsonValueKind.Null:
                settings.WebhookUrl = null;
                break;
            case JsonValueKind.String when WebhookUrls.Problem(request.WebhookUrl.GetString(), webhooks.Value.AllowPrivateNetworks) is not { } :
                settings.WebhookUrl = request.WebhookUrl.GetString();
                break;
            default:
                return ProblemResults.Field("webhook_url",
                    WebhookUrls.Problem(request.WebhookUrl.ValueKind == JsonValueKind.String ? request.WebhookUrl.GetString() : "", webhooks.Value.AllowPrivateNetworks)
                    ?? "An absolute http(s) URL, or null.");
        }
        switch (request.RetentionDays.ValueKind)
        {
            case JsonValueKind.Undefined:
                break;
            case JsonValueKind.Null:
                settings.RetentionDays = null;
                break;
            case JsonValueKind.Number when request.RetentionDays.TryGetInt32(out var days) && days is >= 1 and <= 36_500:
                settings.RetentionDays = days;
                break;
            default:
                return ProblemResults.Field("retention_days", "Whole days from 1 to 36500, or null for the server's default.");
        }
        settings.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(Response(project, settings, retention.Value));
    }

    private static bool MaySee(Caller caller, string project) => project.Length <= 64 && (caller.IsAdmin || caller.Project == project);

    private static ProjectResponse Response(string project, ProjectSetting? settings, RetentionOptions retention) =>
        new(project, settings?.WebhookUrl, settings?.RetentionDays, settings?.RetentionDays ?? retention.Days);
}

using System.Security.Claims;
using System.Text.Json;
using Batch.Api.Authentication;
using Batch.Api.Estimates;
using Batch.Api.Jobs;
using Batch.Api.Problems;
using Batch.Api.Reports;
using Batch.Api.ResultFiles;
using Batch.Api.Uploads;
using Batch.Data.Entities;
using Batch.Data.Retention;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Batch.Api.Apis;

/// <summary>Jobs: upload, list, status, lifecycle actions and results. A key sees its own project's jobs; an admin key sees all.</summary>
public static class JobsApi
{
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/jobs").WithTags("Jobs");

        api.MapPost("/", UploadAsync)
            .WithName("CreateJob")
            .WithSummary("Upload a CSV or JSONL file and a spec: creates a job of one request per row.")
            .WithDescription(ApiExamples.CreateJob)
            .AcceptsUpload()
            .Produces<JobCreated>(StatusCodes.Status201Created)
            .Produces<JobCreated>(StatusCodes.Status200OK);
        api.MapPost("/estimate", EstimateAsync)
            .WithName("EstimateJob")
            .WithSummary("The same upload as POST /api/jobs, stored nowhere: tokens, cost range, budget-bound minutes. POST /api/jobs?dry_run=true answers the same.")
            .WithDescription(ApiExamples.EstimateJob)
            .AcceptsUpload()
            .Produces<JobEstimate>(StatusCodes.Status200OK);

        api.MapGet("/", ListAsync)
            .WithName("ListJobs")
            .WithSummary("List jobs, newest first, a page at a time.")
            .WithDescription(ApiExamples.ListJobs);
        api.MapGet("/{id:guid}", GetAsync)
            .WithName("GetJob")
            .WithSummary("A job's status, row counts, tokens by kind, cost so far, progress and estimated time left.")
            .WithDescription(ApiExamples.GetJob);
        api.MapPost("/{id:guid}/cancel", (Guid id, ClaimsPrincipal user, JobActions actions, JobStore store, CancellationToken ct) =>
                ActAsync(id, user, store, actions.CancelAsync, ct))
            .WithName("CancelJob")
            .WithSummary("Cancel a queued, running or paused job: pending and claimed rows are canceled; requests in flight are answered and recorded.");
        api.MapPost("/{id:guid}/pause", (Guid id, ClaimsPrincipal user, JobActions actions, JobStore store, CancellationToken ct) =>
                ActAsync(id, user, store, actions.PauseAsync, ct))
            .WithName("PauseJob")
            .WithSummary("Pause a queued or running job: within a second claimed rows go back to pending; requests in flight are answered and recorded.");
        api.MapPost("/{id:guid}/resume", (Guid id, ClaimsPrincipal user, JobActions actions, JobStore store, CancellationToken ct) =>
                ActAsync(id, user, store, actions.ResumeAsync, ct))
            .WithName("ResumeJob")
            .WithSummary("Resume a paused job: it is queued and started again.");
        api.MapPost("/{id:guid}/retry-failed", (Guid id, ClaimsPrincipal user, JobActions actions, JobStore store, CancellationToken ct) =>
                ActAsync(id, user, store, actions.RetryFailedAsync, ct))
            .WithName("RetryFailedRows")
            .WithSummary("Send a completed or failed job's failed rows again.");
        api.MapPatch("/{id:guid}", UpdateAsync)
            .WithName("UpdateJob")
            .WithSummary("Set or remove the job's spend cap: {\"max_cost_usd\": 25} or {\"max_cost_usd\": null}. A job paused at its cap goes on once resumed.");
        api.MapGet("/{id:guid}/cost", GetCostAsync)
            .WithName("GetJobCost")
            .WithSummary("The job's tokens and USD by kind, cache hit rate, savings, and the price rows applied.")
            .WithDescription(ApiExamples.JobCost);
        api.MapDelete("/{id:guid}", DeleteAsync)
            .WithName("DeleteJob")
            .WithSummary("Delete a finished (completed, failed or canceled) job: 204 once it is gone, or 202 for a large job, whose rows are deleted in the background (it is gone for the API at once). Its spend stays in the cost reports.");

        api.MapGet("/{id:guid}/results", GetResultsAsync)
            .WithName("GetJobResults")
            .WithSummary("Download results as JSONL (Anthropic's batch result lines) or CSV, streamed.")
            .WithDescription(ApiExamples.Results)
            .Produces(StatusCodes.Status200OK, contentType: "application/jsonl", additionalContentTypes: ["application/x-ndjson", "text/csv"])
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The multipart upload of a spec and a file, and the problems its reading answers.</summary>
    private static RouteHandlerBuilder AcceptsUpload(this RouteHandlerBuilder endpoint) => endpoint
        .Accepts<JobUploadForm>("multipart/form-data")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static Task<IResult> UploadAsync(
        HttpRequest request, ClaimsPrincipal user, JobUploader uploader, JobEstimator estimator, CancellationToken cancellationToken,
        [FromQuery(Name = "dry_run")] bool dryRun = false) =>
        dryRun ? uploader.EstimateAsync(request, user.ToCaller(), estimator, cancellationToken) : uploader.UploadAsync(request, user.ToCaller(), estimator, cancellationToken);

    private static Task<IResult> EstimateAsync(HttpRequest request, ClaimsPrincipal user, JobUploader uploader, JobEstimator estimator, CancellationToken cancellationToken) =>
        uploader.EstimateAsync(request, user.ToCaller(), estimator, cancellationToken);

    private static async Task<Results<Ok<JobList>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken, string? status = null, int limit = JobStore.DefaultPageSize, Guid? after = null)
    {
        JobStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<JobStatus>(status, ignoreCase: true, out var parsed) || int.TryParse(status, out _))
            {
                return ProblemResults.Field("status", "One of queued, running, paused, completed, failed, canceled.", StatusCodes.Status400BadRequest);
            }
            wanted = parsed;
        }
        if (limit is < 1 or > JobStore.MaxPageSize)
        {
            return ProblemResults.Field("limit", $"Between 1 and {JobStore.MaxPageSize}.", StatusCodes.Status400BadRequest);
        }
        return TypedResults.Ok(await store.ListAsync(user.ToCaller(), wanted, limit, after, cancellationToken));
    }

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, user.ToCaller(), cancellationToken) is { } job ? TypedResults.Ok(job) : ProblemResults.NotFound("job");

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> ActAsync(
        Guid id, ClaimsPrincipal user, JobStore store, Func<Guid, Caller, CancellationToken, Task<JobActionOutcome>> action, CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        var outcome = await action(id, caller, cancellationToken);
        if (!outcome.Found)
        {
            return ProblemResults.NotFound("job");
        }
        if (!outcome.Done)
        {
            return ProblemResults.Conflict(outcome.Reason!);
        }
        return await store.GetAsync(id, caller, cancellationToken) is { } job ? TypedResults.Ok(job) : ProblemResults.NotFound("job");
    }

    /// <summary><c>max_cost_usd</c>: a number over 0 sets the cap, null removes it.</summary>
    public sealed record JobUpdateRequest(JsonElement MaxCostUsd);

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> UpdateAsync(
        Guid id, JobUpdateRequest request, ClaimsPrincipal user, JobActions actions, JobStore store, CancellationToken cancellationToken)
    {
        if (!UsdField.TryRead(request.MaxCostUsd, usd => usd > 0, out var given, out var cap) || !given)
        {
            return ProblemResults.Field("max_cost_usd", "A number of USD over 0, or null to remove the cap.");
        }
        var caller = user.ToCaller();
        if (!await actions.SetMaxCostAsync(id, caller, cap, cancellationToken))
        {
            return ProblemResults.NotFound("job");
        }
        return await store.GetAsync(id, caller, cancellationToken) is { } job ? TypedResults.Ok(job) : ProblemResults.NotFound("job");
    }

    private static async Task<Results<Ok<JobCost>, ProblemHttpResult>> GetCostAsync(Guid id, ClaimsPrincipal user, JobCosts costs, CancellationToken cancellationToken) =>
        await costs.ReadAsync(id, user.ToCaller(), cancellationToken) is { } cost ? TypedResults.Ok(cost) : ProblemResults.NotFound("job");

    private static async Task<Results<NoContent, Accepted, ProblemHttpResult>> DeleteAsync(
        Guid id, ClaimsPrincipal user, JobActions actions, IOptions<RetentionOptions> retention, CancellationToken cancellationToken)
    {
        var outcome = await actions.DeleteAsync(id, user.ToCaller(), retention.Value, cancellationToken);
        return outcome switch
        {
            { Found: false } => ProblemResults.NotFound("job"),
            { Done: false } => ProblemResults.Conflict(outcome.Reason!),
            { InBackground: true } => TypedResults.Accepted((string?)null),
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<IResult> GetResultsAsync(
        Guid id, HttpRequest request, ClaimsPrincipal user, JobStore store, CancellationToken cancellationToken, string? format = null,
        [FromQuery(Name = "include_pending")] bool includePending = false, bool bom = false)
    {
        if (ResultsDownload.Negotiate(format, request) is not { } chosen)
        {
            return ProblemResults.Field("format", "Either jsonl or csv.", StatusCodes.Status400BadRequest);
        }
        var job = await store.Visible(user.ToCaller()).SingleOrDefaultAsync(j => j.Id == id, cancellationToken);
        return job is null ? ProblemResults.NotFound("job") : new ResultsDownload(job, chosen.Format, chosen.ContentType, includePending, bom);
    }
}

/// <summary>The multipart form of <c>POST /api/jobs</c>, for the API description (the endpoint reads the parts as they stream).</summary>
public sealed class JobUploadForm
{
    /// <summary>JSON: name, model, account, system, template, max_tokens, temperature, top_p, top_k, stop_sequences, metadata, cache_ttl, tools, tool_choice, priority, csv_delimiter, id_column. Send it before the file.</summary>
    public required string Spec { get; init; }

    /// <summary>CSV (header row, RFC 4180) or JSONL (template variables, or {"custom_id", "params"}); gzip accepted.</summary>
    public required IFormFile File { get; init; }
}

using System.Security.Claims;
using Batch.Api.Authentication;
using Batch.Api.Problems;
using Batch.Api.Reports;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Batch.Api.Apis;

/// <summary>Cost reports, answered from the hourly cost rollup (never by scanning rows). A key sees its own project; an admin sees all.</summary>
public static class ReportsApi
{
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/reports").WithTags("Reports");
        api.MapGet("/costs", GetCostsAsync)
            .WithName("GetCostReport")
            .WithSummary("Tokens, requests, cost and savings grouped by day, hour, model, project, account and/or job, as JSON or CSV.")
            .WithDescription(ApiExamples.CostReport)
            .Produces<CostReport>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<Results<Ok<CostReport>, CostReportCsvResult, ProblemHttpResult>> GetCostsAsync(
        ClaimsPrincipal user,
        CostReports reports,
        TimeProvider time,
        CancellationToken cancellationToken,
        string? from = null,
        string? to = null,
        [FromQuery(Name = "group_by")] string? groupBy = null,
        string? project = null,
        string? format = null,
        [FromQuery(Name = "time_zone")] string? timeZone = null)
    {
        var (request, field, error) = CostReportRequest.Parse(from, to, groupBy, project, format, timeZone, user.ToCaller(), time.GetUtcNow());
        if (request is null)
        {
            return ProblemResults.Field(field!, error!, StatusCodes.Status400BadRequest);
        }
        var report = await reports.ReadAsync(request, cancellationToken);
        return request.Csv ? new CostReportCsvResult(report) : TypedResults.Ok(report);
    }
}

/// <summary>Writes a cost report as a CSV download.</summary>
public sealed class CostReportCsvResult(CostReport report) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "text/csv; charset=utf-8";
        httpContext.Response.Headers.ContentDisposition = "attachment; filename=\"costs.csv\"";
        await CostReportCsv.WriteAsync(report, httpContext.Response.Body, httpContext.RequestAborted);
    }
}

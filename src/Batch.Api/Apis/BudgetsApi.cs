using Batch.Api.Authentication;
using Batch.Budgets;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Batch.Api.Apis;

/// <summary>Each account's rate budgets per model class: limits, use over the last minute, in flight; limits changeable live.</summary>
public static class BudgetsApi
{
    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/accounts/{name}/budgets").WithTags("Budgets");
        api.MapGet("/", GetBudgetsAsync)
            .WithSummary("Per model class and dimension (requests, input tokens, output tokens): limit, used over the last minute, in flight.");
        api.MapPut("/{modelClass}", SetLimitsAsync)
            .RequireAuthorization(BatchPolicies.Admin)
            .WithSummary("Sets a model class's per-minute limits; running workers apply them to their next request.");
        return app;
    }

    /// <summary>Per-minute limits; 0 means unlimited.</summary>
    public sealed record BudgetLimitsRequest(int Rpm, int InputTpm, int OutputTpm);

    private static async Task<Results<Ok<IReadOnlyList<BudgetReport>>, ProblemHttpResult>> GetBudgetsAsync(
        string name, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var reports = await BudgetReports.ReadAsync(dataSource, name, cancellationToken);
        return reports is null ? AccountNotFound(name) : TypedResults.Ok(reports);
    }

    private static async Task<Results<Ok<BudgetReport>, ValidationProblem, ProblemHttpResult>> SetLimitsAsync(
        string name, string modelClass, BudgetLimitsRequest limits, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (limits.Rpm < 0 || limits.InputTpm < 0 || limits.OutputTpm < 0 || modelClass.Length is 0 or > 100)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["limits"] = ["Limits are per minute and at least 0 (0 = unlimited); a model class has 1 to 100 characters."],
            });
        }
        var report = await BudgetReports.SetLimitsAsync(
            dataSource, name, modelClass, new BudgetLimits(limits.Rpm, limits.InputTpm, limits.OutputTpm), cancellationToken);
        return report is null ? AccountNotFound(name) : TypedResults.Ok(report);
    }

    private static ProblemHttpResult AccountNotFound(string name) =>
        TypedResults.Problem($"No provider account is named '{name}'.", statusCode: StatusCodes.Status404NotFound, title: "Account not found");
}

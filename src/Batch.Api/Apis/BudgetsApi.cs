using Batch.Api.Authentication;
using Batch.Api.Problems;
using Batch.Budgets;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Batch.Api.Apis;

/// <summary>
/// Each account's rate budgets per model class: limits, use over the last minute, in flight; limits changeable live.
/// Limits are per minute and 0 means unlimited.
/// </summary>
public static class BudgetsApi
{
    private const string Unlimited = "Per minute, at least 0; 0 means unlimited.";

    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/accounts/{name}/budgets").WithTags("Budgets");
        api.MapGet("/", GetBudgetsAsync)
            .WithSummary("Per model class and dimension (requests, input tokens, output tokens): limit (0 = unlimited), used over the last minute, in flight.");
        api.MapPatch("/{modelClass}", ChangeLimitsAsync)
            .RequireAuthorization(BatchPolicies.Admin)
            .WithSummary("Changes the limits given (rpm, input_tpm, output_tpm; 0 = unlimited); the others stay. Running workers apply them to their next request.")
            .WithDescription("""
                ```json
                {"rpm": 600}
                ```
                A class with no budget yet starts from the account's limits. The model class must be one `model_settings` maps a model to, or one
                the account already has a budget for; any other answers 404 with the known classes.
                """);
        api.MapPut("/{modelClass}", ReplaceLimitsAsync)
            .RequireAuthorization(BatchPolicies.Admin)
            .WithSummary("Replaces all three limits of a model class: rpm, input_tpm and output_tpm are required (0 = unlimited).");
        return app;
    }

    /// <summary>Per-minute limits; 0 means unlimited. PATCH changes those given, PUT needs all three.</summary>
    public sealed record BudgetLimitsRequest(int? Rpm, int? InputTpm, int? OutputTpm);

    private static async Task<Results<Ok<IReadOnlyList<BudgetReport>>, ProblemHttpResult>> GetBudgetsAsync(
        string name, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var reports = await BudgetReports.ReadAsync(dataSource, name, cancellationToken);
        return reports is null ? AccountNotFound(name) : TypedResults.Ok(reports);
    }

    private static Task<Results<Ok<BudgetReport>, ProblemHttpResult>> ChangeLimitsAsync(
        string name, string modelClass, BudgetLimitsRequest limits, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SetLimitsAsync(name, modelClass, limits, replace: false, dataSource, cancellationToken);

    private static Task<Results<Ok<BudgetReport>, ProblemHttpResult>> ReplaceLimitsAsync(
        string name, string modelClass, BudgetLimitsRequest limits, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SetLimitsAsync(name, modelClass, limits, replace: true, dataSource, cancellationToken);

    private static async Task<Results<Ok<BudgetReport>, ProblemHttpResult>> SetLimitsAsync(
        string name, string modelClass, BudgetLimitsRequest limits, bool replace, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var known = await BudgetReports.KnownClassesAsync(dataSource, name, cancellationToken);
        if (!known.Contains(modelClass, StringComparer.Ordinal))
        {
            return await BudgetReports.ReadAsync(dataSource, name, cancellationToken) is null
                ? AccountNotFound(name)
                : TypedResults.Problem(
                    $"There is no model class '{modelClass}'. Known classes: {string.Join(", ", known)}. Models map to classes through model_settings; " +
                    "a model no row matches is a class of its own, named after the model, once a job has used it.",
                    statusCode: StatusCodes.Status404NotFound, title: "Unknown model class");
        }
        foreach (var (field, value) in new[] { ("rpm", limits.Rpm), ("input_tpm", limits.InputTpm), ("output_tpm", limits.OutputTpm) })
        {
            if (value is null && replace)
            {
                return ProblemResults.Field(field, $"Required: PUT replaces all three limits ({Unlimited}). To change only some, use PATCH.");
            }
            if (value is < 0)
            {
                return ProblemResults.Field(field, Unlimited);
            }
        }
        if (limits is { Rpm: null, InputTpm: null, OutputTpm: null })
        {
            return ProblemResults.Field("rpm", $"Give at least one of rpm, input_tpm, output_tpm ({Unlimited}).");
        }
        var report = await BudgetReports.SetLimitsAsync(dataSource, name, modelClass, limits.Rpm, limits.InputTpm, limits.OutputTpm, cancellationToken);
        return report is null ? AccountNotFound(name) : TypedResults.Ok(report);
    }

    private static ProblemHttpResult AccountNotFound(string name) =>
        TypedResults.Problem($"No provider account is named '{name}'.", statusCode: StatusCodes.Status404NotFound, title: "Account not found");
}

using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Batch.Api.Problems;

/// <summary>RFC 9457 problem details in Batch's shapes: an <c>errors</c> array of <c>{line, column, field, message}</c> where it helps.</summary>
public static class ProblemResults
{
    public static ProblemHttpResult WithErrors(int status, string title, IReadOnlyList<UploadError> errors, int? totalErrors = null, string? detail = null)
    {
        var total = totalErrors ?? errors.Count;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail ?? Describe(errors, total),
        };
        problem.Extensions["errors"] = errors;
        if (total > errors.Count)
        {
            problem.Extensions["error_count"] = total;
        }
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult FromUploadErrors(UploadErrors errors) =>
        WithErrors(StatusCodes.Status422UnprocessableEntity, "The file has errors; nothing was stored", errors.Reported, errors.Count);

    public static ProblemHttpResult Field(string field, string message, int status = StatusCodes.Status422UnprocessableEntity) =>
        WithErrors(status, "The request is not valid", [UploadError.ForField(field, message)]);

    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No {what} with this id is visible to this API key.");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    private static string Describe(IReadOnlyList<UploadError> errors, int total)
    {
        var first = errors.Count == 0 ? "" : Place(errors[0]) + errors[0].Message;
        return total switch
        {
            0 => "",
            1 => first,
            _ => $"{total} errors; the first: {first}",
        };
    }

    private static string Place(UploadError error) => error switch
    {
        { Line: { } line, Column: { } column } => $"line {line}, column {column}: ",
        { Line: { } line } => $"line {line}: ",
        { Field: { } field } => $"{field}: ",
        _ => "",
    };
}

using System.Text.Json.Serialization;

namespace Batch.Simulator;

/// <summary>An error answer in Anthropic's shape; <see cref="ErrorCode"/> fills <c>error.details.error_code</c>.</summary>
internal sealed record ApiError(int Status, string Type, string Message, string? ErrorCode = null)
{
    public static ApiError InvalidRequest(string message) => new(StatusCodes.Status400BadRequest, "invalid_request_error", message);

    public static ApiError Authentication(string message) => new(StatusCodes.Status401Unauthorized, "authentication_error", message);

    public static ApiError NotFound(string message) => new(StatusCodes.Status404NotFound, "not_found_error", message);

    public static ApiError RequestTooLarge() => new(StatusCodes.Status413PayloadTooLarge, "request_too_large", "Request exceeds the maximum allowed number of bytes.");

    public static ApiError RateLimited(string message) => new(StatusCodes.Status429TooManyRequests, "rate_limit_error", message);

    public static ApiError SpendLimitReached() => new(
        StatusCodes.Status429TooManyRequests,
        "rate_limit_error",
        "You have reached your specified API usage limits. You will regain access when the limit resets.",
        "enforced_spend_limit_reached");

    public static ApiError ServerError() => new(StatusCodes.Status500InternalServerError, "api_error", "Internal server error");

    public static ApiError Overloaded() => new(529, "overloaded_error", "Overloaded");

    public IResult ToResult(HttpContext context)
    {
        if (Status >= StatusCodes.Status429TooManyRequests)
        {
            // A spend-cap 429 must not be retried; other 429s and 5xx may.
            context.Response.Headers["x-should-retry"] = ErrorCode is null ? "true" : "false";
        }
        return TypedResults.Json(
            new ErrorResponse(
                new ErrorDetail(Type, Message, ErrorCode is null ? null : new ErrorDetails(ErrorCode)),
                Ids.RequestIdOf(context)),
            SimulatorJsonContext.Api.ErrorResponse,
            statusCode: Status);
    }
}

internal sealed record ErrorResponse(ErrorDetail Error, string RequestId)
{
    [JsonPropertyOrder(-1)]
    public string Type => "error";
}

internal sealed record ErrorDetail(
    string Type,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ErrorDetails? Details);

internal sealed record ErrorDetails(string ErrorCode);

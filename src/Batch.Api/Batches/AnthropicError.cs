using Microsoft.AspNetCore.Http.HttpResults;

namespace Batch.Api.Batches;

/// <summary>
/// An error in the Messages API's shape, <c>{"type": "error", "error": {"type", "message"}, "request_id"}</c>: the SDKs map the
/// status and <c>error.type</c> to their exception classes. Used on <c>/v1</c> routes only; <c>/api</c> answers problem details.
/// </summary>
public sealed class AnthropicError(int statusCode, string type, string message) : IResult, IStatusCodeHttpResult
{
    public int StatusCode { get; } = statusCode;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string Type { get; } = type;

    public string Message { get; } = message;

    public static AnthropicError InvalidRequest(string message) => new(StatusCodes.Status400BadRequest, "invalid_request_error", message);

    public static AnthropicError NotFound(string message) => new(StatusCodes.Status404NotFound, "not_found_error", message);

    public static AnthropicError TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, "request_too_large", message);

    /// <summary>The error type the Messages API uses for a status.</summary>
    public static AnthropicError ForStatus(int status, string? message = null) => status switch
    {
        StatusCodes.Status401Unauthorized => new(status, "authentication_error", message ?? "A valid API key is required (x-api-key or Authorization: Bearer)."),
        StatusCodes.Status403Forbidden => new(status, "permission_error", message ?? "This API key may not use this endpoint."),
        StatusCodes.Status404NotFound => new(status, "not_found_error", message ?? "Not found."),
        StatusCodes.Status413PayloadTooLarge => new(status, "request_too_large", message ?? "The request is too large."),
        StatusCodes.Status429TooManyRequests => new(status, "rate_limit_error", message ?? "Too many requests."),
        >= 500 => new(status, "api_error", message ?? "An internal error occurred."),
        _ => new(status, "invalid_request_error", message ?? $"The request is not valid (HTTP {status})."),
    };

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var body = new ErrorBody("error", new ErrorDetail(Type, Message), AnthropicCompatibility.RequestId(httpContext));
        return TypedResults.Json(body, statusCode: StatusCode).ExecuteAsync(httpContext);
    }

    private sealed record ErrorDetail(string Type, string Message);

    private sealed record ErrorBody(string Type, ErrorDetail Error, string? RequestId);
}

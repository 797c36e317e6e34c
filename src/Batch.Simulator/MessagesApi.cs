using System.Text.Json;

namespace Batch.Simulator;

/// <summary>The Messages API routes under <c>/v1</c>.</summary>
internal static class MessagesApi
{
    /// <summary>The API's 32 MB limit per Messages request; Kestrel's own limit is raised to match.</summary>
    public const long MaxRequestBytes = 32L * 1024 * 1024;

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1/messages");
        v1.MapPost("", MessagesEndpoint.CreateAsync);
        v1.MapPost("/count_tokens", CountTokensEndpoint.CountAsync);
        v1.MapMessageBatches();
        return app;
    }

    /// <summary>The checks every <c>/v1</c> route makes first: the key, then the API version; null when both pass.</summary>
    public static ApiError? CheckHeaders(HttpContext context, SimulatorOptions options, out string version)
    {
        version = context.Request.Headers[ApiVersions.HeaderName].ToString();
        if (ApiKeyAuthenticator.Check(context.Request, options, allowBearer: version == ApiVersions.V20261021) is { } unauthorized)
        {
            return unauthorized;
        }
        if (version.Length == 0)
        {
            return ApiError.InvalidRequest($"{ApiVersions.HeaderName}: header is required");
        }
        return ApiVersions.IsKnown(version) ? null : ApiError.InvalidRequest($"{ApiVersions.HeaderName}: unknown version '{version}'");
    }

    /// <summary>The checks both routes share: key, API version, JSON body, then field validation.</summary>
    public static async Task<ParsedRequest> ReadAsync(HttpContext context, SimulatorState state, bool countTokens)
    {
        if (CheckHeaders(context, state.Options, out var version) is { } refused)
        {
            return new ParsedRequest(null, null, refused);
        }

        if (context.Request.ContentLength > MaxRequestBytes)
        {
            return new ParsedRequest(null, null, ApiError.RequestTooLarge());
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            return new ParsedRequest(null, null, ApiError.InvalidRequest("There was an issue with your request body: it is not valid JSON"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new ParsedRequest(null, null, ApiError.RequestTooLarge());
        }
        var error = RequestValidator.TryParse(document.RootElement, version, countTokens, state.Options, out var request);
        return new ParsedRequest(request, document, error);
    }
}

/// <summary>A validated request, or the error to answer with; owns the JsonDocument the request points into.</summary>
internal readonly record struct ParsedRequest(MessageRequest? Request, JsonDocument? Document, ApiError? Error) : IDisposable
{
    public void Dispose() => Document?.Dispose();
}

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
        return app;
    }

    /// <summary>The checks both routes share: key, API version, JSON body, then field validation.</summary>
    public static async Task<ParsedRequest> ReadAsync(HttpContext context, SimulatorState state, bool countTokens)
    {
        var version = context.Request.Headers[ApiVersions.HeaderName].ToString();
        if (ApiKeyAuthenticator.Check(context.Request, state.Options, allowBearer: version == ApiVersions.V20261021) is { } unauthorized)
        {
            return new ParsedRequest(null, null, unauthorized);
        }
        if (version.Length == 0)
        {
            return new ParsedRequest(null, null, ApiError.InvalidRequest($"{ApiVersions.HeaderName}: header is required"));
        }
        if (!ApiVersions.IsKnown(version))
        {
            return new ParsedRequest(null, null, ApiError.InvalidRequest($"{ApiVersions.HeaderName}: unknown version '{version}'"));
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

namespace Batch.Simulator;

/// <summary>Checks the API key: <c>x-api-key</c> always, <c>Authorization: Bearer</c> only where the API version allows it.</summary>
internal static class ApiKeyAuthenticator
{
    public static ApiError? Check(HttpRequest request, SimulatorOptions options, bool allowBearer)
    {
        var headers = request.Headers;
        if (headers.TryGetValue("x-api-key", out var apiKey))
        {
            return apiKey.ToString() == options.ApiKey ? null : ApiError.Authentication("invalid x-api-key");
        }
        var authorization = headers.Authorization.ToString();
        if (allowBearer && authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return authorization.AsSpan(7).Trim().SequenceEqual(options.ApiKey) ? null : ApiError.Authentication("invalid bearer token");
        }
        return ApiError.Authentication("x-api-key header is required");
    }
}

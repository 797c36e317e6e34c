namespace Batch.Api.Batches;

/// <summary>
/// This server's absolute base URL as its callers reach it: <c>Batch:PublicBaseUrl</c> when set, else what a proxy in front
/// says (<c>X-Forwarded-Proto</c> / <c>X-Forwarded-Host</c>), else the request's own scheme and host. The TypeScript SDK
/// fetches results from <c>results_url</c> with the caller's key, so it must name this server and nothing else.
/// </summary>
public static class PublicBaseUrl
{
    public const string Setting = "Batch:PublicBaseUrl";

    public static Uri For(HttpRequest request, IConfiguration configuration)
    {
        if (configuration[Setting] is { Length: > 0 } configured)
        {
            return new Uri(configured.TrimEnd('/') + "/");
        }
        var scheme = First(request.Headers["X-Forwarded-Proto"]) is ("http" or "https") and var forwarded ? forwarded : request.Scheme;
        var host = First(request.Headers["X-Forwarded-Host"]) is { Length: > 0 } forwardedHost && HostString.FromUriComponent(forwardedHost).HasValue
            ? forwardedHost
            : request.Host.ToUriComponent();
        return new Uri($"{scheme}://{host}{request.PathBase}/");
    }

    /// <summary>The first of a comma list (a header each proxy on the way appended to).</summary>
    private static string? First(string? header) => header?.Split(',')[0].Trim() is { Length: > 0 } first ? first : null;
}

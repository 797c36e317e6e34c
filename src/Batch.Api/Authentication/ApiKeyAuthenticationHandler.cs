using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Batch.Api.Batches;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Batch.Api.Authentication;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> for REST clients, <c>x-api-key</c> as Anthropic's SDKs send it, and
/// <c>Basic</c> with the key as the password for clients that only speak that. Browsers sign in with a form instead
/// (<see cref="BrowserSessions"/>). On <c>/v1</c> routes refusals are in the Messages API's error shape.
/// </summary>
/// <remarks>
/// The challenge sends each scheme in a <c>WWW-Authenticate</c> header of its own: browsers (Chromium at least) neither
/// prompt nor use <c>user:key@</c> credentials when Basic shares a header with Bearer.
/// </remarks>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The challenges of a 401, in this order, one header each.</summary>
    public static readonly string[] Challenges = ["Bearer", "Basic realm=\"Batch\", charset=\"UTF-8\""];

    public const string ApiKeyHeader = "x-api-key";

    private const string InvalidKey = "The API key is not valid or has been revoked.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } sent ? sent : KeyOfAuthorization();
        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        var identity = await validator.ValidateAsync(key, SchemeName, Context.RequestAborted);
        return identity is null
            ? AuthenticateResult.Fail(InvalidKey)
            : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private string? KeyOfAuthorization()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || string.IsNullOrEmpty(header.Parameter))
        {
            return null;
        }
        return header.Scheme.ToUpperInvariant() switch
        {
            "BEARER" => header.Parameter,
            "BASIC" => PasswordOf(header.Parameter),
            _ => null,
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var refused = (await HandleAuthenticateOnceSafeAsync()).Failure is not null;
        if (AnthropicCompatibility.Applies(Request.Path))
        {
            await AnthropicError.ForStatus(StatusCodes.Status401Unauthorized, refused
                ? $"{InvalidKey} Send a Batch API key as x-api-key (the SDKs' api_key)."
                : "No API key was sent: send a Batch API key as x-api-key or Authorization: Bearer.").ExecuteAsync(Context);
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Challenges;
        // A key that was sent and refused is a different mistake from sending none; say which.
        await Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: refused ? "Invalid API key" : "Authentication required",
            detail: refused
                ? $"{InvalidKey} Check for a typo or a missing character, or ask an admin for a new key."
                : $"No API key was sent. Send one as 'Authorization: Bearer <key>'; a browser signs in at {BrowserSessions.SignInPath}.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        if (AnthropicCompatibility.Applies(Request.Path))
        {
            await AnthropicError.ForStatus(StatusCodes.Status403Forbidden).ExecuteAsync(Context);
            return;
        }
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Forbidden",
            detail: "This API key may not use this endpoint.").ExecuteAsync(Context);
    }

    private static string? PasswordOf(string basicParameter)
    {
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(basicParameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

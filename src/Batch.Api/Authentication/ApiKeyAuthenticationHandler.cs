using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Batch.Api.Authentication;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> for REST clients, and <c>Basic</c> with the key as the password
/// for clients that only speak that. Browsers sign in with a form instead (<see cref="BrowserSessions"/>).
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

    private const string InvalidKey = "The API key is not valid or has been revoked.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || string.IsNullOrEmpty(header.Parameter))
        {
            return AuthenticateResult.NoResult();
        }

        var key = header.Scheme.ToUpperInvariant() switch
        {
            "BEARER" => header.Parameter,
            "BASIC" => PasswordOf(header.Parameter),
            _ => null,
        };
        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        var identity = await validator.ValidateAsync(key, SchemeName, Context.RequestAborted);
        return identity is null
            ? AuthenticateResult.Fail(InvalidKey)
            : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Challenges;
        // A key that was sent and refused is a different mistake from sending none; say which.
        var refused = (await HandleAuthenticateOnceSafeAsync()).Failure is not null;
        await Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: refused ? "Invalid API key" : "Authentication required",
            detail: refused
                ? $"{InvalidKey} Check for a typo or a missing character, or ask an admin for a new key."
                : $"No API key was sent. Send one as 'Authorization: Bearer <key>'; a browser signs in at {BrowserSessions.SignInPath}.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
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

using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Net.Http.Headers;

namespace Batch.Api.Authentication;

/// <summary>
/// Two ways in: scripts send the key in <c>Authorization</c> (<see cref="ApiKeyAuthenticationHandler"/>); a browser signs
/// in once with an admin key at <see cref="SignInPath"/> and then carries a session cookie. The cookie holds the key's
/// claims (project, admin role, key id), encrypted and signed with ASP.NET Core data protection, never the key.
/// </summary>
public static class BrowserSessions
{
    /// <summary>The default scheme: picks the key handler or the cookie for each request.</summary>
    public const string SchemeName = "Batch";

    public const string CookieScheme = "BrowserSession";
    public const string CookieName = "batch_session";
    public const string DashboardPath = "/hangfire";
    public const string SignInPath = DashboardPath + "/sign-in";
    public const string SignOutPath = DashboardPath + "/sign-out";
    public const string Section = "Batch:Dashboard";

    public static IServiceCollection AddBatchAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(Section);
        var lifetime = settings.GetValue("SessionLifetime", TimeSpan.FromHours(8));
        var dataProtection = services.AddDataProtection().SetApplicationName("Batch");
        // Several API instances behind one address must read each other's cookies and anti-forgery tokens: one key ring.
        if (configuration["Batch:DataProtection:KeysPath"] is { Length: > 0 } keysPath)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }
        // Hangfire's dashboard checks these tokens on every POST it serves; the sign-in form uses them too.
        services.AddAntiforgery();

        services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "API key or browser session", options => options.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = lifetime;
                options.SlidingExpiration = false;
                options.LoginPath = SignInPath;
                options.AccessDeniedPath = SignInPath;
                options.Events.OnValidatePrincipal = RejectRevokedKeysAsync;
            });
        return services;
    }

    /// <summary>
    /// The key handler whenever <c>Authorization</c> or <c>x-api-key</c> is sent. The cookie for the dashboard (whose POSTs carry Hangfire's
    /// anti-forgery token) and for reads elsewhere (result downloads, the API reference); never for a change through the
    /// REST API, so no page of another site can make a signed-in browser change anything. A browser that opens a page of
    /// the dashboard or the reference without either is sent to sign in; everything else gets the key handler's 401.
    /// </summary>
    internal static string SelectScheme(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.ContainsKey(HeaderNames.Authorization) || request.Headers.ContainsKey(ApiKeyAuthenticationHandler.ApiKeyHeader))
        {
            return ApiKeyAuthenticationHandler.SchemeName;
        }
        var dashboard = request.Path.StartsWithSegments(DashboardPath);
        var read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (request.Cookies.ContainsKey(CookieName) && (dashboard || read))
        {
            return CookieScheme;
        }
        var page = dashboard || request.Path.StartsWithSegments("/docs");
        return read && page && AcceptsHtml(request) ? CookieScheme : ApiKeyAuthenticationHandler.SchemeName;
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    /// <summary>A session ends with its key: a revoked key, or a changed bootstrap admin key, signs its browsers out.</summary>
    private static async Task RejectRevokedKeysAsync(CookieValidatePrincipalContext context)
    {
        var validator = context.HttpContext.RequestServices.GetRequiredService<ApiKeyValidator>();
        if (context.Principal is null || !await validator.IsStillAdminAsync(context.Principal, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
        }
    }
}

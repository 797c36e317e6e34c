using System.Security.Claims;
using Batch.Api.Authentication;
using Batch.Api.Dashboard;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Batch.Api.Apis;

/// <summary>
/// A browser's way into the dashboard: one password field for an admin key, answered with a session cookie
/// (<see cref="BrowserSessions"/>), and a way out. Both forms are checked against forgery.
/// </summary>
public static class SignInApi
{
    private const string Home = BrowserSessions.DashboardPath + "/batches";

    public static IEndpointRouteBuilder MapSignInApi(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").AllowAnonymous().ExcludeFromDescription();
        pages.MapGet(BrowserSessions.SignInPath, ShowSignIn);
        pages.MapPost(BrowserSessions.SignInPath, SignInAsync);
        pages.MapGet(BrowserSessions.SignOutPath, (HttpContext context, IAntiforgery antiforgery) =>
            Page(SignInPage.SignOut(antiforgery.GetAndStoreTokens(context)), context));
        pages.MapPost(BrowserSessions.SignOutPath, SignOutAsync);
        return app;
    }

    private static Results<RedirectHttpResult, ContentHttpResult> ShowSignIn(
        HttpContext context, IAntiforgery antiforgery, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "ReturnUrl")] string? returnUrl)
    {
        var target = LocalOrHome(returnUrl);
        // Already signed in (a link opened from another site arrives without the SameSite=Strict cookie, then comes back here).
        if (context.User.Identity?.AuthenticationType == BrowserSessions.CookieScheme && context.User.IsInRole(BatchClaims.AdminRole))
        {
            return TypedResults.Redirect(target);
        }
        return Page(SignInPage.SignIn(antiforgery.GetAndStoreTokens(context), target, error: null), context);
    }

    private static async Task<Results<RedirectHttpResult, ContentHttpResult>> SignInAsync(
        HttpContext context, IAntiforgery antiforgery, ApiKeyValidator validator, CancellationToken cancellationToken)
    {
        if (await RefusedAsForgedAsync(context, antiforgery) is { } forged)
        {
            return Page(SignInPage.SignIn(antiforgery.GetAndStoreTokens(context), Home, forged), context, StatusCodes.Status400BadRequest);
        }
        var form = await context.Request.ReadFormAsync(cancellationToken);
        var target = LocalOrHome(form["return_url"]);
        var key = form["key"].ToString().Trim();
        var identity = key.Length == 0 ? null : await validator.ValidateAsync(key, BrowserSessions.CookieScheme, cancellationToken);
        if (identity is null)
        {
            return Page(SignInPage.SignIn(antiforgery.GetAndStoreTokens(context), target, "That key is not valid or has been revoked."),
                context, StatusCodes.Status401Unauthorized);
        }
        var user = new ClaimsPrincipal(identity);
        if (!user.IsInRole(BatchClaims.AdminRole))
        {
            return Page(SignInPage.SignIn(antiforgery.GetAndStoreTokens(context), target,
                    $"That is a key of project '{user.ToCaller().Project}'. Only admin keys open the dashboard."),
                context, StatusCodes.Status403Forbidden);
        }
        // Persistent, so the cookie itself carries its expiry; the ticket inside expires at the same moment.
        await context.SignInAsync(BrowserSessions.CookieScheme, user, new AuthenticationProperties { IsPersistent = true });
        return TypedResults.Redirect(target);
    }

    private static async Task<Results<RedirectHttpResult, ContentHttpResult>> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (await RefusedAsForgedAsync(context, antiforgery) is { } forged)
        {
            return Page(SignInPage.SignOut(antiforgery.GetAndStoreTokens(context)), context, StatusCodes.Status400BadRequest);
        }
        await context.SignOutAsync(BrowserSessions.CookieScheme);
        return TypedResults.Redirect(BrowserSessions.SignInPath);
    }

    /// <summary>Why the form is refused as possibly forged (no or a stale anti-forgery token), or null when it is not.</summary>
    private static async Task<string?> RefusedAsForgedAsync(HttpContext context, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return "The form had expired or did not come from this site. Please try again.";
        }
    }

    /// <summary>Only a path of this site: an absolute or protocol-relative address would send the browser elsewhere.</summary>
    private static string LocalOrHome(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : Home;

    private static ContentHttpResult Page(string html, HttpContext context, int statusCode = StatusCodes.Status200OK)
    {
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: statusCode);
    }
}

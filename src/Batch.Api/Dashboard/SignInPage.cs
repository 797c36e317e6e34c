using System.Net;
using Microsoft.AspNetCore.Antiforgery;

namespace Batch.Api.Dashboard;

/// <summary>
/// The sign-in and sign-out pages: a form of their own (the dashboard's styles are behind the sign-in), in the dashboard's
/// colours. Every value is HTML-encoded; the form carries an anti-forgery token.
/// </summary>
internal static class SignInPage
{
    public static string SignIn(AntiforgeryTokenSet tokens, string returnUrl, string? error) => Shell("Sign in", $"""
        <form method="post" action="{Encode(Authentication.BrowserSessions.SignInPath)}">
          <h1>Sign in to Batch</h1>
          <p>Paste an admin API key. The browser keeps a session cookie, never the key.</p>
          {(error is null ? "" : $"""<p class="error" role="alert">{Encode(error)}</p>""")}
          <label for="key">Admin key</label>
          <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
          <input type="hidden" name="return_url" value="{Encode(returnUrl)}">
          <input type="hidden" name="{Encode(tokens.FormFieldName)}" value="{Encode(tokens.RequestToken ?? "")}">
          <button type="submit">Sign in</button>
        </form>
        """);

    public static string SignOut(AntiforgeryTokenSet tokens) => Shell("Sign out", $"""
        <form method="post" action="{Encode(Authentication.BrowserSessions.SignOutPath)}">
          <h1>Sign out of Batch</h1>
          <p>The session cookie of this browser is removed; scripts' keys are not affected.</p>
          <input type="hidden" name="{Encode(tokens.FormFieldName)}" value="{Encode(tokens.RequestToken ?? "")}">
          <button type="submit">Sign out</button>
        </form>
        """);

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    private static string Shell(string title, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <meta name="robots" content="none">
          <title>{{title}} – Batch</title>
          <style>
            body { margin: 0; font: 14px/1.43 "Helvetica Neue", Helvetica, Arial, sans-serif; color: #333; background: #f5f5f5; }
            header { background: #f8f8f8; border-bottom: 1px solid #e7e7e7; padding: 15px 20px; font-size: 18px; color: #777; }
            form { max-width: 380px; margin: 60px auto; background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 24px 28px; }
            h1 { font-size: 22px; font-weight: 500; margin: 0 0 12px; }
            label { display: block; font-weight: bold; margin: 16px 0 6px; }
            input[type=password] { box-sizing: border-box; width: 100%; padding: 6px 10px; font-size: 14px; border: 1px solid #ccc; border-radius: 4px; }
            button { margin-top: 18px; padding: 6px 14px; font-size: 14px; color: #fff; background: #337ab7; border: 1px solid #2e6da4; border-radius: 4px; cursor: pointer; }
            .error { color: #a94442; background: #f2dede; border: 1px solid #ebccd1; border-radius: 4px; padding: 8px 12px; }
          </style>
        </head>
        <body>
          <header>Batch</header>
          {{body}}
        </body>
        </html>
        """;
}

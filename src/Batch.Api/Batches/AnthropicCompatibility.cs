namespace Batch.Api.Batches;

/// <summary>
/// What every answer on <c>/v1</c> routes has in common with the Messages API's: a <c>request-id</c> header, and errors in its
/// shape (<see cref="AnthropicError"/>) whatever produced them: no endpoint, a wrong method, an exception.
/// </summary>
public static partial class AnthropicCompatibility
{
    private const string RequestIdItem = "batch:request-id";

    public static bool Applies(PathString path) => path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase);

    /// <summary>The id this request's answer carries; null outside <c>/v1</c>.</summary>
    public static string? RequestId(HttpContext context) => context.Items[RequestIdItem] as string;

    /// <summary>Runs before authentication, so that its refusals carry the request id too.</summary>
    public static IApplicationBuilder UseAnthropicCompatibility(this IApplicationBuilder app) =>
        app.UseWhen(context => Applies(context.Request.Path), branch => branch.Use(async (context, next) =>
        {
            var requestId = "req_" + Guid.CreateVersion7().ToString("N");
            context.Items[RequestIdItem] = requestId;
            context.Response.Headers["request-id"] = requestId;
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                LogFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AnthropicCompatibility)), e, context.Request.Path);
                context.Response.Clear();
                context.Response.Headers["request-id"] = requestId;
                await AnthropicError.ForStatus(StatusCodes.Status500InternalServerError).ExecuteAsync(context);
                return;
            }
            var response = context.Response;
            if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
            {
                await AnthropicError.ForStatus(response.StatusCode).ExecuteAsync(context);
            }
        }));

    [LoggerMessage(Level = LogLevel.Error, Message = "Request to {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string path);
}

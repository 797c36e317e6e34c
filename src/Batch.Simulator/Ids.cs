namespace Batch.Simulator;

/// <summary>Identifiers in the API's formats.</summary>
internal static class Ids
{
    public const string RequestIdHeader = "request-id";

    public static string Request() => "req_" + Guid.NewGuid().ToString("N");

    public static string Message() => "msg_" + Guid.NewGuid().ToString("N");

    public static string ToolUse() => "toolu_" + Guid.NewGuid().ToString("N");

    public static string MessageBatch() => "msgbatch_" + Guid.NewGuid().ToString("N");

    /// <summary>The id the request-id middleware gave this request.</summary>
    public static string RequestIdOf(HttpContext context) => context.Response.Headers[RequestIdHeader].ToString();
}

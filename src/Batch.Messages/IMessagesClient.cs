using System.Text.Json.Nodes;

namespace Batch.Messages;

/// <summary>
/// Sends one <c>POST /v1/messages</c> attempt and classifies what came back. It never throws for an
/// HTTP error or a broken connection: the caller decides, per <see cref="MessagesAttempt.Outcome"/>,
/// whether to record, retry (taking budget again for each attempt) or pause the job.
/// </summary>
public interface IMessagesClient
{
    Task<MessagesAttempt> SendAsync(MessagesAccount account, JsonObject body, CancellationToken cancellationToken);

    /// <summary>
    /// One <c>POST /v1/messages/count_tokens</c> attempt (the body without <c>max_tokens</c>), classified the same way;
    /// on success <see cref="MessagesAttempt.CountedInputTokens"/> holds the count. A gateway without the endpoint answers 404.
    /// </summary>
    Task<MessagesAttempt> CountTokensAsync(MessagesAccount account, JsonObject body, CancellationToken cancellationToken);
}

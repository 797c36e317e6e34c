namespace Batch.Messages;

/// <summary>Where and as whom to send: Anthropic itself or any gateway that speaks the Messages API.</summary>
/// <param name="ApiKey">Resolved from configuration at send time; never logged, never stored.</param>
public sealed record MessagesAccount(Guid Id, string Name, Uri BaseUrl, string ApiKey, string ApiVersion)
{
    public override string ToString() => $"{Name} ({BaseUrl})";
}

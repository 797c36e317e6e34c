using Batch.Messages;

namespace Batch.Worker.Execution;

/// <summary>Where a job's provider account gets its key: this worker's configuration, under the setting the account names.</summary>
internal static class AccountKeys
{
    /// <summary>The account to send as, or null when this worker has no key for it (<paramref name="missing"/> says so, for the job's pause reason).</summary>
    public static MessagesAccount? Resolve(JobContext job, IConfiguration configuration, out string missing)
    {
        var account = job.Account;
        missing = $"No API key for account '{account.Name}': the setting {account.ApiKeyReference} is not set on worker {Environment.MachineName}. Set it, then resume.";
        return configuration[account.ApiKeyReference] is { Length: > 0 } key
            ? new MessagesAccount(account.Id, account.Name, new Uri(account.BaseUrl.TrimEnd('/') + "/"), key, account.ApiVersion)
            : null;
    }
}

using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Batch.Data;

/// <summary>
/// The provider account named <c>default</c> belongs to configuration (<c>Anthropic:*</c>): every process
/// writes it at start, so one environment drives both the API and the workers. Other accounts are
/// created through the API and live only in the database. The key stays in configuration: the row
/// holds only the name of the setting that has it, in configuration's own form <c>Section:Key</c>
/// (the environment variable <c>Anthropic__ApiKey</c>).
/// </summary>
public static class DefaultAccount
{
    public const string Name = "default";
    public const string ApiKeySetting = "Anthropic:ApiKey";

    public static async Task SyncAsync(BatchDbContext db, IConfiguration configuration, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var section = configuration.GetSection("Anthropic");
        var now = time.GetUtcNow();
        var account = await db.ProviderAccounts.SingleOrDefaultAsync(a => a.Name == Name, cancellationToken);
        if (account is null)
        {
            account = new ProviderAccount { Id = Guid.CreateVersion7(), Name = Name, BaseUrl = "", ApiKeyReference = ApiKeySetting, IsDefault = true, CreatedAt = now };
            db.ProviderAccounts.Add(account);
        }
        var before = new BudgetLimits(account.Rpm, account.InputTpm, account.OutputTpm);

        account.BaseUrl = section["BaseUrl"] ?? "https://api.anthropic.com";
        account.ApiVersion = section["Version"] ?? "2023-06-01";
        account.ApiKeyReference = ApiKeySetting;
        account.Rpm = section.GetValue("Rpm", ProviderAccount.NewAccountRpm);
        account.InputTpm = section.GetValue("InputTpm", ProviderAccount.NewAccountInputTpm);
        account.OutputTpm = section.GetValue("OutputTpm", ProviderAccount.NewAccountOutputTpm);
        account.OutputBudgetMode = section.GetValue("OutputBudgetMode", OutputBudgetMode.ReserveMaxTokens);
        account.BatchWindow = section.GetValue("BatchWindow", ProviderAccount.DefaultBatchWindow);
        account.BatchMaxRequests = section.GetValue("BatchMaxRequests", ProviderAccount.DefaultBatchMaxRequests);
        account.BatchMaxBytes = section.GetValue("BatchMaxBytes", ProviderAccount.DefaultBatchMaxBytes);
        account.BatchQueueLimit = section.GetValue("BatchQueueLimit", ProviderAccount.DefaultBatchQueueLimit);
        account.UpdatedAt = now;

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (db.Entry(account).State == EntityState.Added)
        {
            // Another process inserted it first; its values came from the same configuration.
            return;
        }
        await FollowLimitsAsync(db, account, before, cancellationToken);
    }

    private readonly record struct BudgetLimits(int Rpm, int InputTpm, int OutputTpm);

    /// <summary>
    /// Budgets made from the account's old limits take the new ones (a restart with other Anthropic__* limits, such as
    /// ./batch up switching between a real key and the simulator); a limit set on a budget through the API stays.
    /// </summary>
    private static async Task FollowLimitsAsync(BatchDbContext db, ProviderAccount account, BudgetLimits before, CancellationToken cancellationToken)
    {
        var after = new BudgetLimits(account.Rpm, account.InputTpm, account.OutputTpm);
        if (before == after)
        {
            return;
        }
        await db.RateBudgets.Where(b => b.AccountId == account.Id).ExecuteUpdateAsync(set => set
            .SetProperty(b => b.Rpm, b => b.Rpm == before.Rpm ? after.Rpm : b.Rpm)
            .SetProperty(b => b.InputTpm, b => b.InputTpm == before.InputTpm ? after.InputTpm : b.InputTpm)
            .SetProperty(b => b.OutputTpm, b => b.OutputTpm == before.OutputTpm ? after.OutputTpm : b.OutputTpm), cancellationToken);
    }
}

using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Batch.Data;

/// <summary>
/// The provider account named <c>default</c> belongs to configuration (<c>Anthropic:*</c>): every process
/// writes it at start, so one environment drives both the API and the workers. Other accounts are
/// created through the API and live only in the database. The key stays in configuration: the row
/// holds only the name of the setting that has it.
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

        account.BaseUrl = section["BaseUrl"] ?? "https://api.anthropic.com";
        account.ApiVersion = section["Version"] ?? "2023-06-01";
        account.ApiKeyReference = ApiKeySetting;
        account.Rpm = section.GetValue("Rpm", 50);
        account.InputTpm = section.GetValue("InputTpm", 30_000);
        account.OutputTpm = section.GetValue("OutputTpm", 8_000);
        account.OutputBudgetMode = section.GetValue("OutputBudgetMode", OutputBudgetMode.ReserveMaxTokens);
        account.UpdatedAt = now;

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (db.Entry(account).State == EntityState.Added)
        {
            // Another process inserted it first; its values came from the same configuration.
        }
    }
}

using Batch.Data.Entities;
using Batch.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Batch.Data.Tests;

public class DefaultAccountTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task New_limits_in_configuration_reach_the_budgets_made_from_the_old_ones_and_spare_those_set_by_hand()
    {
        await SyncAsync(rpm: 50, inputTpm: 30_000, outputTpm: 8_000);
        Guid accountId;
        await using (var db = database.CreateContext())
        {
            accountId = (await db.ProviderAccounts.SingleAsync(a => a.Name == DefaultAccount.Name)).Id;
            db.RateBudgets.AddRange(
                Budget(accountId, "from-defaults", 50, 30_000, 8_000),
                Budget(accountId, "set-by-hand", 600, 30_000, 0));
            await db.SaveChangesAsync();
        }

        await SyncAsync(rpm: 4_000, inputTpm: 2_000_000, outputTpm: 400_000);

        await using var after = database.CreateContext();
        var budgets = await after.RateBudgets.AsNoTracking().Where(b => b.AccountId == accountId).ToDictionaryAsync(b => b.ModelClass);
        Assert.Equal((4_000, 2_000_000, 400_000), Limits(budgets["from-defaults"]));
        // The hand-set RPM and OTPM stay; the ITPM it had left at the account's value follows it.
        Assert.Equal((600, 2_000_000, 0), Limits(budgets["set-by-hand"]));
        var account = await after.ProviderAccounts.SingleAsync(a => a.Id == accountId);
        Assert.Equal(("Anthropic:ApiKey", 4_000), (account.ApiKeyReference, account.Rpm));
    }

    private async Task SyncAsync(int rpm, int inputTpm, int outputTpm)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Anthropic:Rpm"] = rpm.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Anthropic:InputTpm"] = inputTpm.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Anthropic:OutputTpm"] = outputTpm.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        await using var db = database.CreateContext();
        await DefaultAccount.SyncAsync(db, configuration, TimeProvider.System);
    }

    private static RateBudget Budget(Guid accountId, string modelClass, int rpm, int inputTpm, int outputTpm) => new()
    {
        AccountId = accountId, ModelClass = modelClass, Rpm = rpm, InputTpm = inputTpm, OutputTpm = outputTpm,
        RefilledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
    };

    private static (int, int, int) Limits(RateBudget b) => (b.Rpm, b.InputTpm, b.OutputTpm);
}

using Batch.Data;
using Batch.Messages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Batch.Budgets.Tests;

/// <summary>What one worker process holds: its own connection pool, budgets and Messages client.</summary>
internal sealed class BudgetProcess : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private BudgetProcess(ServiceProvider services) => _services = services;

    public IRateBudgets Budgets => _services.GetRequiredService<IRateBudgets>();

    public IMessagesClient Messages => _services.GetRequiredService<IMessagesClient>();

    public NpgsqlDataSource DataSource => _services.GetRequiredService<NpgsqlDataSource>();

    public static BudgetProcess Start(string connectionString, IReadOnlyDictionary<string, string?>? budgetSettings = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        // Made by the container so that disposing it closes the pool.
        services.AddSingleton(_ => BatchDatabase.CreateDataSource(connectionString));
        services.AddBatchBudgets(new ConfigurationBuilder().AddInMemoryCollection(budgetSettings ?? new Dictionary<string, string?>()).Build());
        services.AddBatchMessages(new ConfigurationBuilder().Build());
        return new BudgetProcess(services.BuildServiceProvider());
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

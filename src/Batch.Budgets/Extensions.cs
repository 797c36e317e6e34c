using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Batch.Budgets;

public static class Extensions
{
    /// <summary>
    /// Registers <see cref="IRateBudgets"/>, the budgets shared by every process through PostgreSQL, configured from
    /// <c>Batch:Budgets</c>. Needs <c>AddBatchData</c> (the <c>NpgsqlDataSource</c>).
    /// </summary>
    public static IHostApplicationBuilder AddBatchBudgets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddBatchBudgets(builder.Configuration.GetSection(BudgetOptions.SectionName));
        return builder;
    }

    public static IServiceCollection AddBatchBudgets(this IServiceCollection services, IConfiguration section)
    {
        services.Configure<BudgetOptions>(section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new BucketMath(sp.GetRequiredService<IOptions<BudgetOptions>>().Value));
        services.AddSingleton<ModelClasses>();
        services.AddSingleton<JobCalibration>();
        services.AddSingleton<RateBudgetStore>();
        services.AddSingleton<SettlementQueue>();
        services.AddSingleton<IRateBudgets, RateBudgets>();
        return services;
    }
}

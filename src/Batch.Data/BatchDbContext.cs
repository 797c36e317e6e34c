using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Batch.Data;

public class BatchDbContext(DbContextOptions<BatchDbContext> options) : DbContext(options)
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobRow> JobRows => Set<JobRow>();
    public DbSet<JobInputBlock> JobInputBlocks => Set<JobInputBlock>();
    public DbSet<JobMinute> JobMinutes => Set<JobMinute>();
    public DbSet<JobErrorCount> JobErrorCounts => Set<JobErrorCount>();
    public DbSet<ChunkActivity> ChunkActivity => Set<ChunkActivity>();
    public DbSet<ProviderAccount> ProviderAccounts => Set<ProviderAccount>();
    public DbSet<RateBudget> RateBudgets => Set<RateBudget>();
    public DbSet<RateBudgetUsage> RateBudgetUsage => Set<RateBudgetUsage>();
    public DbSet<ModelSetting> ModelSettings => Set<ModelSetting>();
    public DbSet<ModelPrice> ModelPrices => Set<ModelPrice>();
    public DbSet<JobSchedule> JobSchedules => Set<JobSchedule>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<CostRollup> CostRollups => Set<CostRollup>();
    public DbSet<AccountMonthlySpend> AccountMonthlySpend => Set<AccountMonthlySpend>();
    public DbSet<AccountCapPause> AccountCapPauses => Set<AccountCapPause>();
    public DbSet<ProviderBatch> ProviderBatches => Set<ProviderBatch>();
    public DbSet<ProviderBatchPoll> ProviderBatchPolls => Set<ProviderBatchPoll>();
    public DbSet<ProjectSetting> ProjectSettings => Set<ProjectSetting>();
    public DbSet<JobWebhookEvent> JobWebhookEvents => Set<JobWebhookEvent>();
    public DbSet<JobCacheWarmup> JobCacheWarmups => Set<JobCacheWarmup>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema("batch");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(BatchDbContext).Assembly);
    }
}

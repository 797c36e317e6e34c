using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class RateBudgetUsageConfiguration : IEntityTypeConfiguration<RateBudgetUsage>
{
    public void Configure(EntityTypeBuilder<RateBudgetUsage> builder)
    {
        builder.ToTable("rate_budget_usage");
        builder.HasKey(u => new { u.AccountId, u.ModelClass, u.SlotStart });
        builder.Property(u => u.ModelClass).HasMaxLength(100);
        // Takes insert slots without it; settlements count the 429s.
        builder.Property(u => u.RateLimited).HasDefaultValue(0);
        builder.HasOne<RateBudget>().WithMany().HasForeignKey(u => new { u.AccountId, u.ModelClass }).OnDelete(DeleteBehavior.Cascade);
    }
}

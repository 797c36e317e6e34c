using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class RateBudgetConfiguration : IEntityTypeConfiguration<RateBudget>
{
    public void Configure(EntityTypeBuilder<RateBudget> builder)
    {
        builder.ToTable("rate_budgets");
        builder.HasKey(b => new { b.AccountId, b.ModelClass });
        builder.Property(b => b.ModelClass).HasMaxLength(100);
        builder.HasOne<ProviderAccount>().WithMany().HasForeignKey(b => b.AccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

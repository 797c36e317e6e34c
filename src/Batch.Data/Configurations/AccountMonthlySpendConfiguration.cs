using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class AccountMonthlySpendConfiguration : IEntityTypeConfiguration<AccountMonthlySpend>
{
    public void Configure(EntityTypeBuilder<AccountMonthlySpend> builder)
    {
        builder.ToTable("account_monthly_spend");
        builder.HasKey(s => new { s.AccountId, s.Month });
        builder.Property(s => s.CostUsd).HasPrecision(24, 10);
        builder.HasOne<ProviderAccount>().WithMany().HasForeignKey(s => s.AccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

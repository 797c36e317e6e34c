using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ProviderAccountConfiguration : IEntityTypeConfiguration<ProviderAccount>
{
    public void Configure(EntityTypeBuilder<ProviderAccount> builder)
    {
        builder.ToTable("provider_accounts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Name).HasMaxLength(64);
        builder.Property(a => a.BaseUrl).HasMaxLength(500);
        builder.Property(a => a.ApiKeyReference).HasMaxLength(200);
        builder.Property(a => a.ApiVersion).HasMaxLength(20);
        builder.Property(a => a.MonthlyCostLimitUsd).HasPrecision(20, 10);
        builder.Property(a => a.BatchWindow).HasDefaultValue(ProviderAccount.DefaultBatchWindow);
        builder.Property(a => a.BatchMaxRequests).HasDefaultValue(ProviderAccount.DefaultBatchMaxRequests);
        builder.Property(a => a.BatchMaxBytes).HasDefaultValue(ProviderAccount.DefaultBatchMaxBytes);
        builder.Property(a => a.BatchQueueLimit).HasDefaultValue(ProviderAccount.DefaultBatchQueueLimit);
        builder.HasIndex(a => a.Name).IsUnique();
        builder.HasIndex(a => a.IsDefault).IsUnique().HasFilter("is_default");
    }
}

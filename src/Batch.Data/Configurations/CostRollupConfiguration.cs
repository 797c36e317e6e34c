using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class CostRollupConfiguration : IEntityTypeConfiguration<CostRollup>
{
    public void Configure(EntityTypeBuilder<CostRollup> builder)
    {
        builder.ToTable("cost_rollups");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).UseIdentityAlwaysColumn();
        builder.Property(c => c.Project).HasMaxLength(64);
        builder.Property(c => c.Model).HasMaxLength(200);
        builder.Property(c => c.CacheWrite5mTokens).HasColumnName("cache_write_5m_tokens");
        builder.Property(c => c.CacheWrite1hTokens).HasColumnName("cache_write_1h_tokens");
        builder.Property(c => c.CostUsd).HasPrecision(24, 10);
        builder.Property(c => c.CacheSavingsUsd).HasPrecision(24, 10);
        builder.Property(c => c.BatchSavingsUsd).HasPrecision(24, 10);
        builder.Property(c => c.Delivery).HasDefaultValue(Delivery.Messages);

        // The recording statement upserts on this key; rows without a price share one bucket (nulls not distinct).
        builder.HasIndex(c => new { c.Hour, c.Project, c.AccountId, c.Model, c.JobId, c.PriceId, c.Delivery })
            .HasDatabaseName("ux_cost_rollups_bucket")
            .IsUnique()
            .AreNullsDistinct(false);
        builder.HasIndex(c => c.JobId);
    }
}

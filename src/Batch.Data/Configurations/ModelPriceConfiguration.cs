using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ModelPriceConfiguration : IEntityTypeConfiguration<ModelPrice>
{
    public void Configure(EntityTypeBuilder<ModelPrice> builder)
    {
        builder.ToTable("model_prices");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.ModelPrefix).HasMaxLength(200);
        foreach (var price in new[] { "InputPerMTok", "CacheWrite5mPerMTok", "CacheWrite1hPerMTok", "CacheReadPerMTok", "OutputPerMTok" })
        {
            builder.Property(price).HasPrecision(12, 6);
        }
        builder.Property(p => p.BatchMultiplier).HasPrecision(6, 4).HasDefaultValue(ModelPrice.DefaultBatchMultiplier);
        builder.HasIndex(p => new { p.ModelPrefix, p.EffectiveFrom }).IsUnique();
        builder.HasData(SeedData.ModelPrices);
    }
}

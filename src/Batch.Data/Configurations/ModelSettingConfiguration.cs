using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ModelSettingConfiguration : IEntityTypeConfiguration<ModelSetting>
{
    public void Configure(EntityTypeBuilder<ModelSetting> builder)
    {
        builder.ToTable("model_settings");
        builder.HasKey(m => m.ModelPrefix);
        builder.Property(m => m.ModelPrefix).HasMaxLength(200);
        builder.Property(m => m.ModelClass).HasMaxLength(100);
        builder.Property(m => m.StructuredOutputs).HasDefaultValue(false);
        builder.HasData(SeedData.ModelSettings);
    }
}

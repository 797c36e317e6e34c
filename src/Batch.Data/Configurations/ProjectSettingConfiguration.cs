using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ProjectSettingConfiguration : IEntityTypeConfiguration<ProjectSetting>
{
    public void Configure(EntityTypeBuilder<ProjectSetting> builder)
    {
        builder.ToTable("project_settings");
        builder.HasKey(p => p.Project);
        builder.Property(p => p.Project).HasMaxLength(64);
        builder.Property(p => p.WebhookUrl).HasMaxLength(2048);
    }
}

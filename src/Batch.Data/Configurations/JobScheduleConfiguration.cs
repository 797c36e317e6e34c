using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobScheduleConfiguration : IEntityTypeConfiguration<JobSchedule>
{
    public void Configure(EntityTypeBuilder<JobSchedule> builder)
    {
        builder.ToTable("job_schedules");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Project).HasMaxLength(64);
        builder.Property(s => s.Name).HasMaxLength(200);
        builder.Property(s => s.Cron).HasMaxLength(100);
        builder.Property(s => s.TimeZone).HasMaxLength(100);
        builder.HasOne<Job>().WithMany().HasForeignKey(s => s.SourceJobId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(s => s.Project);
    }
}

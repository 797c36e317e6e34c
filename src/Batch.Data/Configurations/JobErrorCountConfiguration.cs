using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobErrorCountConfiguration : IEntityTypeConfiguration<JobErrorCount>
{
    public void Configure(EntityTypeBuilder<JobErrorCount> builder)
    {
        builder.ToTable("job_error_counts");
        builder.HasKey(e => new { e.JobId, e.ErrorType });
        builder.Property(e => e.ErrorType).HasMaxLength(100);
        builder.Property(e => e.SampleMessage).HasMaxLength(1000);
        builder.HasOne<Job>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

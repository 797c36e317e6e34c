using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobCacheWarmupConfiguration : IEntityTypeConfiguration<JobCacheWarmup>
{
    public void Configure(EntityTypeBuilder<JobCacheWarmup> builder)
    {
        builder.ToTable("job_cache_warmups");
        builder.HasKey(w => new { w.JobId, w.Model });
        builder.HasOne<Job>().WithMany().HasForeignKey(w => w.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobMinuteConfiguration : IEntityTypeConfiguration<JobMinute>
{
    public void Configure(EntityTypeBuilder<JobMinute> builder)
    {
        builder.ToTable("job_minutes");
        // The key serves both the recording upsert and the dashboard's reads (a job's minutes in order, or its last two).
        builder.HasKey(m => new { m.JobId, m.Minute });
        builder.Property(m => m.CacheWrite5mTokens).HasColumnName("cache_write_5m_tokens");
        builder.Property(m => m.CacheWrite1hTokens).HasColumnName("cache_write_1h_tokens");
        builder.Property(m => m.CostUsd).HasPrecision(20, 10);
        builder.HasOne<Job>().WithMany().HasForeignKey(m => m.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ChunkActivityConfiguration : IEntityTypeConfiguration<ChunkActivity>
{
    public void Configure(EntityTypeBuilder<ChunkActivity> builder)
    {
        builder.ToTable("job_chunk_activity");
        builder.HasKey(a => new { a.JobId, a.ChunkId });
        builder.HasOne<Job>().WithMany().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

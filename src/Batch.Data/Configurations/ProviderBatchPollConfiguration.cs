using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ProviderBatchPollConfiguration : IEntityTypeConfiguration<ProviderBatchPoll>
{
    public void Configure(EntityTypeBuilder<ProviderBatchPoll> builder)
    {
        builder.ToTable("provider_batch_polls");
        builder.HasKey(p => p.JobId);
        builder.HasOne<Job>().WithMany().HasForeignKey(p => p.JobId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(p => p.DueAt);
    }
}

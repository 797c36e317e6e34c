using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class ProviderBatchConfiguration : IEntityTypeConfiguration<ProviderBatch>
{
    public void Configure(EntityTypeBuilder<ProviderBatch> builder)
    {
        builder.ToTable("provider_batches");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.ProviderBatchId).HasMaxLength(200);
        builder.HasOne<Job>().WithMany().HasForeignKey(b => b.JobId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ProviderAccount>().WithMany().HasForeignKey(b => b.AccountId).OnDelete(DeleteBehavior.Restrict);

        builder.HasIndex(b => new { b.JobId, b.Status });
        // A provider batch belongs to at most one slice: recovery never adopts one twice.
        builder.HasIndex(b => new { b.AccountId, b.ProviderBatchId }).IsUnique().HasFilter("provider_batch_id IS NOT NULL");
        // The account's requests waiting at the provider: the slices not yet ended.
        builder.HasIndex(b => b.AccountId).HasDatabaseName("ix_provider_batches_open").HasFilter("status IN (0, 1)")
            .IncludeProperties(b => b.RequestCount);
    }
}

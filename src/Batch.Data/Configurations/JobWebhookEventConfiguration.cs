using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobWebhookEventConfiguration : IEntityTypeConfiguration<JobWebhookEvent>
{
    public void Configure(EntityTypeBuilder<JobWebhookEvent> builder)
    {
        builder.ToTable("job_webhook_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(e => e.Url).HasMaxLength(2048);
        builder.Property(e => e.Payload).HasColumnType("jsonb");
        builder.Property(e => e.LastError).HasMaxLength(1000);
        builder.Property(e => e.Attempts).HasDefaultValue(0);
        builder.HasOne<Job>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => e.JobId);
        // The sweep for deliveries nobody is retrying reads only the undelivered ones.
        builder.HasIndex(e => e.NextAttemptAt).HasFilter("delivered_at IS NULL AND gave_up_at IS NULL");
    }
}

using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> builder)
    {
        builder.ToTable("jobs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.Project).HasMaxLength(64);
        builder.Property(j => j.Name).HasMaxLength(200);
        builder.Property(j => j.Model).HasMaxLength(200);
        builder.Property(j => j.DefaultParams).HasColumnType("jsonb");
        builder.Property(j => j.IdempotencyKey).HasMaxLength(200);
        builder.Property(j => j.Columns).HasColumnType("text[]");
        builder.Property(j => j.MaxCostUsd).HasPrecision(20, 10);
        builder.Property(j => j.IdColumn).HasMaxLength(200);
        // Defaults, so the hand-written INSERTs of uploads and schedules need not name these columns.
        builder.Property(j => j.Notes).HasColumnType("text[]").HasDefaultValueSql("'{}'");
        builder.Property(j => j.FirstRowsChecked).HasDefaultValue(false);
        builder.Property(j => j.DeliveryRequested).HasDefaultValue(Delivery.Messages);
        builder.Property(j => j.Delivery).HasDefaultValue(Delivery.Messages);
        builder.Property(j => j.WebhookAttempts).HasDefaultValue(0);
        builder.Property(j => j.WebhookUrl).HasMaxLength(2048);
        builder.Property(j => j.WebhookLastError).HasMaxLength(1000);
        builder.Property(j => j.ScheduleFiringId).HasMaxLength(100);
        // json, not jsonb: the schema's property order is the order of the CSV's columns.
        builder.Property(j => j.OutputSchema).HasColumnType("json");
        // Defaults for inserts that predate structured results (scripts, benchmarks); a sentinel no job uses makes EF always send the value.
        builder.Property(j => j.OutputMode).HasDefaultValue(OutputMode.Auto);
        builder.Property(j => j.SchemaRetries).HasDefaultValue(1).HasSentinel(-1);

        builder.OwnsOne(j => j.Counters, counters =>
        {
            // Owned columns keep plain names (succeeded_rows, cost_usd) rather than counters_*.
            counters.Property(c => c.SucceededRows).HasColumnName("succeeded_rows");
            counters.Property(c => c.FailedRows).HasColumnName("failed_rows");
            counters.Property(c => c.CanceledRows).HasColumnName("canceled_rows");
            // A default, so inserts that predate expiry (schedules, scripts, benchmarks) need not name it.
            counters.Property(c => c.ExpiredRows).HasColumnName("expired_rows").HasDefaultValue(0);
            counters.Property(c => c.InputTokens).HasColumnName("input_tokens");
            counters.Property(c => c.CacheWrite5mTokens).HasColumnName("cache_write_5m_tokens");
            counters.Property(c => c.CacheWrite1hTokens).HasColumnName("cache_write_1h_tokens");
            counters.Property(c => c.CacheReadTokens).HasColumnName("cache_read_tokens");
            counters.Property(c => c.OutputTokens).HasColumnName("output_tokens");
            counters.Property(c => c.CostUsd).HasColumnName("cost_usd").HasPrecision(20, 10);
        });
        builder.Navigation(j => j.Counters).IsRequired();

        builder.HasOne(j => j.Account).WithMany().HasForeignKey(j => j.AccountId).OnDelete(DeleteBehavior.Restrict);

        builder.HasIndex(j => new { j.Project, j.CreatedAt });
        builder.HasIndex(j => j.Status);
        // The sweep that expires batches reads only jobs that can expire.
        builder.HasIndex(j => j.ExpiresAt).HasFilter("expires_at IS NOT NULL");
        builder.HasIndex(j => new { j.Project, j.IdempotencyKey }).IsUnique().HasFilter("idempotency_key IS NOT NULL");
        builder.HasIndex(j => j.ScheduleFiringId).IsUnique().HasFilter("schedule_firing_id IS NOT NULL");
        // Retention looks for ended jobs by when they ended.
        builder.HasIndex(j => j.FinishedAt).HasFilter("finished_at IS NOT NULL");
    }
}

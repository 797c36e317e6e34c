using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class JobRowConfiguration : IEntityTypeConfiguration<JobRow>
{
    public void Configure(EntityTypeBuilder<JobRow> builder)
    {
        builder.ToTable("job_rows");
        builder.HasKey(r => new { r.JobId, r.Seq });
        builder.Property(r => r.CustomId).HasMaxLength(64);
        builder.Property(r => r.Input).HasColumnType("jsonb");
        builder.Property(r => r.OutputContent).HasColumnType("jsonb");
        // json, not jsonb: keeps the answer's key order (the schema's) for exports, which read it whole.
        builder.Property(r => r.OutputParsed).HasColumnType("json");
        builder.Property(r => r.CostUsd).HasPrecision(20, 10);
        builder.Property(r => r.Model).HasMaxLength(200);
        builder.Property(r => r.ReservedUsd).HasPrecision(20, 10);
        builder.Property(r => r.Delivery).HasDefaultValue(Delivery.Messages);

        builder.HasOne<Job>().WithMany().HasForeignKey(r => r.JobId).OnDelete(DeleteBehavior.Cascade);

        // custom_id first: an index led by job_id would look as cheap as the primary key to a planner that has not seen the
        // job yet, and reading a job's rows through it filters every row of the job (see HotPathPlanTests). Nothing looks
        // rows up by job and custom_id prefix, so the order costs nothing but keeps each custom_id unique within its job.
        builder.HasIndex(r => new { r.CustomId, r.JobId })
            .HasDatabaseName("ux_job_rows_custom_id")
            .IsUnique();

        // Claiming reads "the next pending rows of this job" and "this job's expired leases";
        // partial indexes keep both small however many rows are already done.
        builder.HasIndex(r => new { r.JobId, r.Seq })
            .HasDatabaseName("ix_job_rows_pending")
            .HasFilter("status = 0");
        builder.HasIndex(r => new { r.JobId, r.LeaseExpiresAt })
            .HasDatabaseName("ix_job_rows_leased")
            .HasFilter("status = 1");
        // Spend caps sum the reservations of rows in flight; only capped jobs' rows ever enter this index.
        builder.HasIndex(r => r.JobId)
            .HasDatabaseName("ix_job_rows_reserved")
            .HasFilter("status = 1 AND reserved_usd IS NOT NULL")
            .IncludeProperties(r => r.ReservedUsd);
        // The dashboard shows a job's latest recorded rows: newest first, without reading its other rows.
        builder.HasIndex(r => new { r.JobId, r.CompletedAt })
            .HasDatabaseName("ix_job_rows_recorded")
            .HasFilter("status IN (2, 3)")
            .IsDescending(false, true);
    }
}

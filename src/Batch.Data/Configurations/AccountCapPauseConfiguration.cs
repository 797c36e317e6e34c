using Batch.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Batch.Data.Configurations;

internal sealed class AccountCapPauseConfiguration : IEntityTypeConfiguration<AccountCapPause>
{
    public void Configure(EntityTypeBuilder<AccountCapPause> builder)
    {
        builder.ToTable("account_cap_pauses");
        builder.HasKey(p => p.JobId);
        builder.Property(p => p.NeededUsd).HasPrecision(20, 10);
        builder.HasOne<Job>().WithOne().HasForeignKey<AccountCapPause>(p => p.JobId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ProviderAccount>().WithMany().HasForeignKey(p => p.AccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

using Microsoft.EntityFrameworkCore.Design;

namespace Batch.Data;

/// <summary>Lets <c>dotnet ef</c> build the model without a running host; no connection is opened to add a migration.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<BatchDbContext>
{
    public BatchDbContext CreateDbContext(string[] args) =>
        BatchDatabase.CreateContext(BatchDatabase.CreateDataSource(
            Environment.GetEnvironmentVariable("ConnectionStrings__Batch") ?? "Host=localhost;Database=batch_design"));
}

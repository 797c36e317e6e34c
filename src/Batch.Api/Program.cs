using Batch.Api;
using Batch.Data;

var app = BatchApiApplication.Create(args);
await app.MigrateBatchDatabaseAsync();
if (args.Contains("--migrate-only"))
{
    return;
}
await app.WarmUpBatchApiAsync();
await app.RunAsync();

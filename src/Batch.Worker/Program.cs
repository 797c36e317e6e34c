using Batch.Data;
using Batch.Worker;

var host = BatchWorkerHost.Create(args);
await host.MigrateBatchDatabaseAsync();
await host.RunAsync();

using Batch.Data;
using Npgsql;
using Xunit;

namespace Batch.Testing;

/// <summary>
/// A fresh, migrated database of its own for one test class (use as <c>IClassFixture&lt;PostgresDatabase&gt;</c>),
/// dropped when the class is done.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private NpgsqlDataSource? _dataSource;

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The database is not created yet.");

    public BatchDbContext CreateContext() => BatchDatabase.CreateContext(DataSource);

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync();
        _dataSource = BatchDatabase.CreateDataSource(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
        if (ConnectionString.Length > 0)
        {
            await PostgresServer.DropDatabaseAsync(ConnectionString);
        }
    }
}

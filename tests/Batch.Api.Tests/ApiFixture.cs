using Batch.Testing;

namespace Batch.Api.Tests;

/// <summary>A real API host on loopback over a database of its own, shared by one test class.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public PostgresDatabase Database { get; } = new();

    public RunningApi Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Api = await TestHosts.StartApiAsync(Database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Database.DisposeAsync();
    }
}

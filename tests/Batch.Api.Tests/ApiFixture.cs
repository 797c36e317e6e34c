using Batch.Testing;

namespace Batch.Api.Tests;

/// <summary>A real API host on loopback over a database of its own, shared by one test class.</summary>
public class ApiFixture : IAsyncLifetime
{
    public PostgresDatabase Database { get; } = new();

    public RunningApi Api { get; private set; } = null!;

    /// <summary>Configuration on top of the test defaults, for fixtures that need other limits.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Api = await TestHosts.StartApiAsync(Database.ConnectionString, Settings);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Database.DisposeAsync();
    }
}

/// <summary>An API with small upload limits, so the corpus can show each limit with a small file.</summary>
public sealed class SmallLimitsApiFixture : ApiFixture
{
    public const int MaxFileBytes = 64 * 1024;
    public const int MaxFieldBytes = 1024;
    public const int MaxLineBytes = 4096;
    public const int MaxErrors = 5;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Batch:Uploads:MaxFileBytes"] = MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Batch:Uploads:MaxFieldBytes"] = MaxFieldBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Batch:Uploads:MaxLineBytes"] = MaxLineBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Batch:Uploads:MaxErrors"] = MaxErrors.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

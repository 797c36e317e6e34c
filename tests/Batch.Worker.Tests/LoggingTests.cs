using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Batch.Worker.Tests;

public class LoggingTests
{
    private const string HandlerCategory = "System.Net.Http.HttpClient.messages:0193a5c2.LogicalHandler";

    [Fact]
    public void HttpClient_request_logging_is_at_warning_unless_configuration_says_otherwise()
    {
        using var quiet = Build([]);
        using var chatty = Build(new() { ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Information" });

        var logger = quiet.Services.GetRequiredService<ILoggerFactory>().CreateLogger(HandlerCategory);
        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.True(quiet.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Batch.Worker.RowChunkRunner").IsEnabled(LogLevel.Information));
        Assert.True(chatty.Services.GetRequiredService<ILoggerFactory>().CreateLogger(HandlerCategory).IsEnabled(LogLevel.Information));
    }

    private static Microsoft.Extensions.Hosting.IHost Build(Dictionary<string, string?> settings) =>
        BatchWorkerHost.Create([], builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?>(settings) { ["ConnectionStrings:Batch"] = "Host=127.0.0.1;Database=unused" }));
}

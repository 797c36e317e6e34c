using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Batch.Messages.Tests;

/// <summary>The client as the worker builds it, optionally over a stub handler, with every log line kept.</summary>
internal sealed class MessagesServices : IDisposable
{
    private readonly ServiceProvider _provider;

    public MessagesServices(HttpMessageHandler? stub = null, Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(Logs)));
        services.AddBatchMessages(configuration);
        if (stub is not null)
        {
            services.AddHttpClient(MessagesHttpClients.NameOf(Account.Id)).ConfigurePrimaryHttpMessageHandler(() => stub);
        }
        _provider = services.BuildServiceProvider();
    }

    public ConcurrentQueue<string> Logs { get; } = new();

    public MessagesAccount Account { get; set; } = new(Guid.NewGuid(), "test", new Uri("http://127.0.0.1:9/"), "secret-key-123", "2023-06-01");

    public IMessagesClient Client => _provider.GetRequiredService<IMessagesClient>();

    public MessagesResilience Resilience => _provider.GetRequiredService<MessagesResilience>();

    public IProviderBatchesClient Batches => _provider.GetRequiredService<IProviderBatchesClient>();

    public Task<MessagesAttempt> SendAsync(JsonObject? body = null) => Client.SendAsync(Account, body ?? Body(), CancellationToken.None);

    public static JsonObject Body(string text = "hello", string model = "claude-sonnet-4-5", int maxTokens = 64) => new()
    {
        ["model"] = model,
        ["max_tokens"] = maxTokens,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
    };

    public void Dispose() => _provider.Dispose();

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                lines.Enqueue($"{category} scope: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{category}: {formatter(state, exception)} {structured} {exception}");
            }
        }
    }
}

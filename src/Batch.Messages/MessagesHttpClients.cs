using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Batch.Messages;

/// <summary>
/// One named HttpClient per provider account (<c>messages:{account id}</c>), so each endpoint gets its own
/// connection pool sized for hundreds of concurrent requests. Keys are added per request, never as defaults.
/// </summary>
internal sealed class MessagesHttpClients(IOptionsMonitor<MessagesOptions> options) : IConfigureNamedOptions<HttpClientFactoryOptions>
{
    public const string NamePrefix = "messages:";

    public static string NameOf(Guid accountId) => NamePrefix + accountId.ToString("N");

    public void Configure(HttpClientFactoryOptions options)
    {
    }

    public void Configure(string? name, HttpClientFactoryOptions factoryOptions)
    {
        if (name is null || !name.StartsWith(NamePrefix, StringComparison.Ordinal))
        {
            return;
        }
        var settings = options.CurrentValue;
        // The pooled connection lifetime recycles connections; rotating handlers as well would only drop warm pools.
        factoryOptions.HandlerLifetime = Timeout.InfiniteTimeSpan;
        // Request logging must never print the key headers.
        factoryOptions.ShouldRedactHeaderValue = static _ => true;
        factoryOptions.SuppressHandlerScope = true;
        factoryOptions.HttpMessageHandlerBuilderActions.Add(builder => builder.PrimaryHandler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.MaxConnectionsPerServer,
            PooledConnectionLifetime = settings.PooledConnectionLifetime,
            ConnectTimeout = settings.ConnectTimeout,
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            UseCookies = false,
        });
        factoryOptions.HttpClientActions.Add(client => client.Timeout = settings.Timeout);
    }
}

using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Batch.Worker;

/// <summary>Where the worker's operations endpoints listen: every interface on the metrics port, or nowhere when it is 0.</summary>
internal static class OperationsListener
{
    public static void AddOperationsListener(this IServiceCollection services, int port)
    {
        if (port > 0)
        {
            // Explicit, so ASPNETCORE_URLS or a container's ASPNETCORE_HTTP_PORTS cannot move it.
            services.Configure<KestrelServerOptions>(kestrel =>
            {
                kestrel.ListenAnyIP(port);
                kestrel.AddServerHeader = false;
            });
        }
        else
        {
            services.AddSingleton<IServer, NoServer>();
        }
    }

    /// <summary>Stands in for Kestrel when the listener is off: a web host without a server opens no port.</summary>
    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Batch.Jobs;
using Microsoft.Extensions.Options;

namespace Batch.Worker.Webhooks;

/// <summary>
/// The named HttpClient webhooks go through: no redirects, no proxy, and a connect callback that connects only to public
/// addresses (unless <see cref="WebhookOptions.AllowPrivateNetworks"/>), checked on the address actually connected, so a
/// host name that resolves to an internal address cannot reach it.
/// </summary>
internal static class WebhookHttpClient
{
    public const string Name = "webhooks";

    public static IServiceCollection AddWebhookHttpClient(this IServiceCollection services)
    {
        services.AddHttpClient(Name)
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<WebhookOptions>>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                    ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, options.CurrentValue.AllowPrivateNetworks, cancellationToken),
                };
            })
            .ConfigureHttpClient((provider, client) => client.Timeout = provider.GetRequiredService<IOptionsMonitor<WebhookOptions>>().CurrentValue.Timeout);
        return services;
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken);
        var allowed = allowPrivate ? addresses : [.. addresses.Where(WebhookUrls.IsPublic)];
        if (allowed.Length == 0)
        {
            throw new WebhookRefusedException(
                $"{endPoint.Host} resolves only to private, loopback or link-local addresses ({string.Join(", ", addresses.Select(a => a.ToString()))}): refused");
        }
        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken);
                // What the socket is connected to, not what it was asked to connect to, decides.
                if (!allowPrivate && (socket.RemoteEndPoint is not IPEndPoint { Address: var connected } || !WebhookUrls.IsPublic(connected)))
                {
                    throw new WebhookRefusedException($"{endPoint.Host} connected to a private address: refused");
                }
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }
}

/// <summary>A webhook URL that leads to an address Batch does not call.</summary>
internal sealed class WebhookRefusedException(string message) : IOException(message);

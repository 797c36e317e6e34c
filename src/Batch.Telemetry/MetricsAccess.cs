using System.Net;
using Microsoft.AspNetCore.Http;

namespace Batch.Telemetry;

/// <summary>
/// Who may read <c>/metrics</c>: callers whose address (the TCP peer, never a forwarded header) is in one of the networks of
/// <c>Batch:Metrics:AllowedNetworks</c>, loopback only by default. Everyone else gets a 404, as if there were nothing.
/// </summary>
public sealed class MetricsAccess
{
    public const string SettingName = "Batch:Metrics:AllowedNetworks";
    public const string DefaultNetworks = "127.0.0.0/8,::1/128";

    private readonly IPNetwork[] _networks;

    public MetricsAccess(string? networks)
    {
        _networks = [.. (string.IsNullOrWhiteSpace(networks) ? DefaultNetworks : networks)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(network => IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"{SettingName}: '{network}' is not a network in CIDR notation, such as 10.0.0.0/8."))];
    }

    public bool Allows(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return _networks.Any(network => network.Contains(address));
    }

    /// <summary>Middleware of the metrics branch: answers 404 to callers outside the allowed networks.</summary>
    public async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        if (!Allows(context.Connection.RemoteIpAddress))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await next(context);
    }
}

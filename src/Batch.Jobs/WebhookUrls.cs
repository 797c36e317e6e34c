using System.Net;
using System.Net.Sockets;

namespace Batch.Jobs;

/// <summary>
/// Which webhook URLs Batch calls: absolute http(s) URLs only, and (unless private networks are allowed) only hosts that
/// reach public addresses. The API refuses what it can tell from the URL; the worker checks every address it actually
/// connects to, so a name that resolves to a private address (or starts to, later) is refused too.
/// </summary>
public static class WebhookUrls
{
    public const int MaxLength = 2048;

    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/3"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    /// <summary>What is wrong with <paramref name="url"/> as a webhook URL, or null when nothing the URL alone shows is.</summary>
    public static string? Problem(string? url, bool allowPrivateNetworks)
    {
        if (url is null)
        {
            return null;
        }
        if (url.Length > MaxLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return $"An absolute http:// or https:// URL of at most {MaxLength} characters.";
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "No user name or password in the URL: webhooks are signed (Batch-Signature) instead.";
        }
        if (!allowPrivateNetworks && (uri.IsLoopback || (IPAddress.TryParse(uri.IdnHost, out var address) && !IsPublic(address))))
        {
            return "A private, loopback or link-local address is refused; use a public address (or set Batch__Webhooks__AllowPrivateNetworks).";
        }
        return null;
    }

    /// <summary>Whether an address is neither private, loopback, link-local, multicast nor otherwise reserved.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && (address.IsIPv6SiteLocal || address.IsIPv6LinkLocal))
        {
            return false;
        }
        return !NotPublic.Any(network => network.Contains(address));
    }
}

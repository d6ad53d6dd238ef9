using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>Parses <c>host:port</c> gateway addresses (IPv4, <c>[IPv6]:port</c>, or a host name resolved once).</summary>
public static class GatewayEndpoint
{
    /// <summary>Splits <paramref name="text"/> into host and port; false when it is not <c>host:port</c>.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out (string Host, int Port)? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (host.Length == 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        endpoint = (host, port);
        return true;
    }

    /// <summary>Resolves <paramref name="text"/> to an IP endpoint (host names through DNS, IPv4 preferred).</summary>
    /// <exception cref="ArgumentException">The text is not <c>host:port</c> or the host does not resolve; the message names the gateway.</exception>
    public static IPEndPoint Resolve(string text)
    {
        if (!TryParse(text, out var parsed))
        {
            throw new ArgumentException($"--gateway '{text}' is not host:port", nameof(text));
        }

        var (host, port) = parsed.Value;
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new ArgumentException($"--gateway '{text}': host '{host}' does not resolve ({e.Message})", nameof(text), e);
        }

        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"--gateway '{text}': host '{host}' has no address", nameof(text));
        return new IPEndPoint(chosen, port);
    }
}

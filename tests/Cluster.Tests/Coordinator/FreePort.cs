using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>
/// Free loopback ports for tests. A port is free when asked, and it is never handed out twice by this process:
/// two sequential OS probes can return the same ephemeral port, which made a silo refuse equal silo and
/// gateway ports.
/// </summary>
internal static class FreePort
{
    private static readonly ConcurrentDictionary<int, byte> Given = new();

    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (Given.TryAdd(port, 0))
            {
                return port;
            }
        }
    }
}

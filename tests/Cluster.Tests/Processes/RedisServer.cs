using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OrleansUws.Cluster.Tests.Coordinator;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>A private, non-persisting <c>redis-server</c> on a free loopback port, killed on dispose.</summary>
internal sealed class RedisServer : IDisposable
{
    private RedisServer(CapturedProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public CapturedProcess Process { get; }

    public int Port { get; }

    /// <summary>StackExchange.Redis connection string of this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The redis-server on PATH, or null (the caller skips, naming the package).</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts the server found by <see cref="Find"/> and waits until it accepts connections; <paramref name="arguments"/> are added to its command line.</summary>
    public static async Task<RedisServer> StartAsync(string executable, params string[] arguments)
    {
        var port = FreePort.Next();
        var process = new CapturedProcess(
            "redis-server", executable,
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", .. arguments]);
        var server = new RedisServer(process, port);
        try
        {
            await TestWait.UntilAsync(() => process.HasExited || Accepts(port), "redis-server accepts connections");
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited at start:{Environment.NewLine}{process.Output}");
            }

            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose() => Process.Dispose();

    /// <summary>True when something accepts TCP connections on the loopback port.</summary>
    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OrleansUws.Cluster.Tests.Coordinator;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// A private <c>redis-server</c> on a free loopback port, killed on dispose: non-persisting, or (with a data folder)
/// with an append-only file synced on every write, so that it can be killed and restarted without losing a write.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly string _executable;
    private readonly string? _dataFolder;
    private readonly string[] _arguments;

    private RedisServer(string executable, CapturedProcess process, int port, string? dataFolder, string[] arguments)
    {
        _executable = executable;
        Process = process;
        Port = port;
        _dataFolder = dataFolder;
        _arguments = arguments;
    }

    public CapturedProcess Process { get; private set; }

    public int Port { get; }

    /// <summary>StackExchange.Redis connection string of this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The redis-server on PATH, or null (the caller skips, naming the package).</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>A server started as <see cref="StartAsync"/> does, without persistence; skips the calling test when none is installed.</summary>
    public static async Task<RedisServer> StartOrSkipAsync(params string[] arguments)
    {
        var executable = Find();
        if (executable is null)
        {
            Xunit.Assert.Skip("redis-server is not on PATH (apt-get install redis-server)");
        }

        return await StartAsync(executable, null, arguments);
    }

    /// <summary>
    /// Starts the server found by <see cref="Find"/> and waits until it accepts connections; with
    /// <paramref name="dataFolder"/>, persisting there (append-only file, fsync on every write);
    /// <paramref name="arguments"/> are added to its command line.
    /// </summary>
    public static async Task<RedisServer> StartAsync(string executable, string? dataFolder = null, params string[] arguments)
    {
        var port = FreePort.Next();
        var server = new RedisServer(executable, Launch(executable, port, dataFolder, arguments), port, dataFolder, arguments);
        try
        {
            await server.UntilReadyAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server (SIGKILL), keeps it down for <paramref name="down"/>, and starts it again on the same port and data.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        if (_dataFolder is null)
        {
            throw new InvalidOperationException("a non-persisting redis-server would come back empty; start it with a data folder");
        }

        await Process.KillAsync();
        await Task.Delay(down);
        Process.Dispose();
        Process = Launch(_executable, Port, _dataFolder, _arguments);
        await UntilReadyAsync();
    }

    public void Dispose() => Process.Dispose();

    private static CapturedProcess Launch(string executable, int port, string? dataFolder, string[] arguments) =>
        new("redis-server", executable,
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty,
            .. dataFolder is null ? ["--appendonly", "no"] : (string[])["--appendonly", "yes", "--appendfsync", "always", "--dir", dataFolder],
            .. arguments,
        ]);

    private async Task UntilReadyAsync()
    {
        await TestWait.UntilAsync(() => Process.HasExited || Accepts(Port), "redis-server accepts connections");
        if (Process.HasExited)
        {
            throw new InvalidOperationException($"redis-server exited at start:{Environment.NewLine}{Process.Output}");
        }
    }

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

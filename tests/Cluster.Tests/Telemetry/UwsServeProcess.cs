using System.Globalization;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Cluster.Tests.Processes;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>
/// <c>uws serve</c> as its own process (the built <c>uws.dll</c> beside the tests, run with <c>dotnet exec</c>) on an
/// embedded silo, configured by environment variables; ready once <c>/health</c> answers. Killed on dispose.
/// </summary>
internal sealed class UwsServeProcess : IDisposable
{
    private UwsServeProcess(CapturedProcess process, int port)
    {
        Process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public CapturedProcess Process { get; }

    public int Port { get; }

    /// <summary>A client of the gateway's HTTP API.</summary>
    public HttpClient Http { get; }

    /// <summary>host:port of the gateway (a scrape target).</summary>
    public string Target => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<UwsServeProcess> StartAsync(string uploads, IReadOnlyDictionary<string, string> settings)
    {
        var uws = Path.Combine(AppContext.BaseDirectory, "uws.dll");
        if (!File.Exists(uws))
        {
            throw new FileNotFoundException($"uws is not beside the tests (the project reference copies it): {uws}", uws);
        }

        var port = FreePort.Next();
        var environment = settings.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value);
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["DOTNET_gcServer"] = "0";
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var process = new CapturedProcess("uws serve", dotnet,
        [
            "exec", uws, "serve", "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--upload-dir", uploads,
            "--silo-port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ], environment);
        var serve = new UwsServeProcess(process, port);
        try
        {
            await TestWait.UntilAsync(async () => process.HasExited || await serve.HealthyAsync(), "uws serve answers /health", TimeSpan.FromSeconds(90));
            if (process.HasExited)
            {
                throw new InvalidOperationException($"uws serve exited at start:{Environment.NewLine}{process.Output}");
            }

            return serve;
        }
        catch
        {
            serve.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        Process.Dispose();
    }

    private async Task<bool> HealthyAsync()
    {
        try
        {
            using var response = await Http.GetAsync(new Uri("/health", UriKind.Relative));
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}

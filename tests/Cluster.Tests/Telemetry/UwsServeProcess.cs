using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Cluster.Tests.Processes;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>
/// <c>uws serve</c> as its own process (the built <c>uws.dll</c> beside the tests, run with <c>dotnet exec</c>) on an
/// embedded silo, configured by environment variables, with one API key of every scope (sent by <see cref="Http"/>) and
/// one model root; ready once <c>/health</c> answers. Killed on dispose.
/// </summary>
internal sealed class UwsServeProcess : IDisposable
{
    private UwsServeProcess(CapturedProcess process, int port)
    {
        Process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Add("X-Api-Key", Key);
    }

    public CapturedProcess Process { get; }

    public int Port { get; }

    /// <summary>The API key the gateway is configured with (scopes read, ingest and admin).</summary>
    private const string Key = "uws-telemetry-test-key";

    /// <summary>A client of the gateway's HTTP API, sending the key.</summary>
    public HttpClient Http { get; }

    /// <summary>host:port of the gateway (a scrape target).</summary>
    public string Target => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts <c>uws serve</c>: uploads kept in <paramref name="uploads"/>, models registered by path inside <paramref name="modelRoot"/>.</summary>
    public static async Task<UwsServeProcess> StartAsync(string uploads, string modelRoot, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort.Next();
        var environment = settings.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value);
        environment["Uws__Api__Keys__telemetry__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key)));
        environment["Uws__Api__Keys__telemetry__Scopes__0"] = "read";
        environment["Uws__Api__Keys__telemetry__Scopes__1"] = "ingest";
        environment["Uws__Api__Keys__telemetry__Scopes__2"] = "admin";
        var process = UwsExecutable.Start("uws serve",
        [
            "serve", "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--upload-dir", uploads, "--model-root", modelRoot,
            "--silo-port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ], environment);
        var serve = new UwsServeProcess(process, port);
        try
        {
            await TestWait.UntilAsync(async () => process.HasExited || await HttpProbe.SucceedsAsync(serve.Http, "/health"), "uws serve answers /health", TimeSpan.FromSeconds(90));
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

}

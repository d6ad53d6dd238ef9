using System.Globalization;
using System.Text.Json;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Cluster.Tests.Processes;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>
/// A private Prometheus (the Debian package's <c>prometheus</c>) on a free loopback port with its own TSDB folder,
/// scraping given targets every second and evaluating given rule files every second; killed on dispose.
/// </summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly HttpClient _http;

    private PrometheusServer(CapturedProcess process, int port)
    {
        Process = process;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(20) };
    }

    public CapturedProcess Process { get; }

    public int Port { get; }

    /// <summary>An executable named <paramref name="name"/> on PATH, or null (the caller skips, naming the package).</summary>
    public static string? Find(string name = "prometheus") =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Writes a configuration scraping <paramref name="targets"/> (host:port, path /metrics), starts and waits until ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string executable, string folder, IReadOnlyList<string> targets, IReadOnlyList<string> ruleFiles)
    {
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "prometheus.yml");
        var lines = new List<string>
        {
            "global:",
            "  scrape_interval: 1s",
            "  scrape_timeout: 1s",
            "  evaluation_interval: 1s",
            "rule_files:",
        };
        lines.AddRange(ruleFiles.Select(f => $"  - '{f}'"));
        lines.Add("scrape_configs:");
        lines.Add("  - job_name: uws");
        lines.Add("    metrics_path: /metrics");
        lines.Add("    static_configs:");
        lines.Add($"      - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]");
        await File.WriteAllLinesAsync(config, lines);

        var port = FreePort.Next();
        var process = new CapturedProcess("prometheus", executable,
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "--log.level=warn",
        ]);
        var server = new PrometheusServer(process, port);
        try
        {
            await TestWait.UntilAsync(async () => process.HasExited || await server.ReadyAsync(), "prometheus is ready", TimeSpan.FromSeconds(60));
            if (process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited at start:{Environment.NewLine}{process.Output}");
            }

            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>An instant query: each series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promQl)
    {
        using var document = await GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promQl)}", promQl);
        return document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => ((IReadOnlyDictionary<string, string>)Labels(r), Number(r.GetProperty("value")[1].GetString()!)))
            .ToArray();
    }

    /// <summary>A range query from <paramref name="start"/> to now, one step a second: each series' labels and its finite values.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double[] Values)>> QueryRangeAsync(string promQl, DateTimeOffset start)
    {
        // Up to a step past now, so the newest samples fall inside the last step of the range.
        var end = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0) + 1;
        var from = start.ToUnixTimeMilliseconds() / 1000.0;
        using var document = await GetAsync(
            $"/api/v1/query_range?query={Uri.EscapeDataString(promQl)}&start={from.ToString(CultureInfo.InvariantCulture)}&end={end.ToString(CultureInfo.InvariantCulture)}&step=1",
            promQl);
        return document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => ((IReadOnlyDictionary<string, string>)Labels(r), r.GetProperty("values").EnumerateArray().Select(v => Number(v[1].GetString()!)).Where(double.IsFinite).ToArray()))
            .ToArray();
    }

    /// <summary>The values a label has on the series matching <paramref name="match"/> (what Grafana's <c>label_values</c> asks).</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string match)
    {
        using var document = await GetAsync($"/api/v1/label/{label}/values?match[]={Uri.EscapeDataString(match)}", match);
        return document.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToArray();
    }

    public void Dispose()
    {
        _http.Dispose();
        Process.Dispose();
    }

    private async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await _http.GetAsync(new Uri("/-/ready", UriKind.Relative));
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task<JsonDocument> GetAsync(string path, string what)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"prometheus refused '{what}': {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body);
    }

    private static Dictionary<string, string> Labels(JsonElement result) =>
        result.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    private static double Number(string text) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };
}

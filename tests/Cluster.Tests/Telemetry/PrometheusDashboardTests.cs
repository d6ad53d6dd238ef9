using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Http;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>
/// A real Prometheus scrapes a real <c>uws serve</c> (its own process, embedded silo) every second while a small fleet
/// and one corrupt file are ingested over the HTTP API; then Prometheus' HTTP API must show exactly what was sent, every
/// per-layer gauge for every layer, and data for every PromQL expression of the shipped Grafana dashboard and rules.
/// </summary>
public sealed partial class PrometheusDashboardTests
{
    private const string Fleet = "web";
    private const int Models = 12;

    /// <summary>
    /// Series this test's embedded <c>uws serve</c> cannot produce: the queue gauges and retry counter come from the durable
    /// ingestion queue, which only a serve process connected to a Redis-backed cluster runs (they are checked on such a
    /// process's /metrics by <c>Processes/ServeQueueProcessTests</c>). Expressions on them must return nothing here; the
    /// day they return data, this list is out of date and the test says so.
    /// </summary>
    private static readonly string[] AwaitingProducer = ["uws_queue_length", "uws_queue_pending", "uws_queue_retries_total", "uws_queue_deferred_total"];

    /// <summary>Every per-layer gauge the silo reports (Prometheus names).</summary>
    private static readonly string[] LayerGauges =
    [
        "uws_layer_models", "uws_layer_version", "uws_layer_rank", "uws_layer_explained_energy", "uws_layer_certificate",
        "uws_layer_certificate_relative", "uws_layer_sin_theta", "uws_layer_heldout_capture",
    ];

    [Fact]
    public async Task Prometheus_sees_the_fleet_and_every_dashboard_query_returns_data()
    {
        var prometheusBinary = PrometheusServer.Find();
        var promtool = PrometheusServer.Find("promtool");
        if (prometheusBinary is null || promtool is null)
        {
            Assert.Skip("prometheus/promtool are not on PATH (Debian package 'prometheus'; scripts/install-deps.sh test installs it)");
        }

        var rules = DeployFile("prometheus", "uws-rules.yml");
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(DeployFile("grafana", "orleans-uws.json"), TestContext.Current.CancellationToken))!;
        Assert.Equal(0, await RunAsync(promtool, "check", "rules", rules));

        using var folder = new TempFolder();
        var fleetFolder = folder.Combine("fleet");
        var generated = await CliHarness.InvokeAsync("fleet", "generate", "--out", fleetFolder, "--preset", "tiny", "--models", Models.ToString(System.Globalization.CultureInfo.InvariantCulture), "--layers", "2", "--seed", "11");
        Assert.True(generated.ExitCode == ExitCodes.Success, generated.ToString());
        var corrupt = folder.Combine("corrupt.safetensors");
        await File.WriteAllBytesAsync(corrupt, [1, 2, 3], TestContext.Current.CancellationToken);

        // Frequent Directions sketches (n = 32 > 8) with ℓ = 6, so slices shrink; versions only on request.
        using var serve = await UwsServeProcess.StartAsync(folder.Combine("uploads"), folder.Path, new Dictionary<string, string>
        {
            ["Uws:Cluster:ExactGramMaxDimension"] = "8",
            ["Uws:Cluster:SketchRows"] = "6",
            ["Uws:Cluster:MaxRank"] = "4",
            ["Uws:Cluster:EveryModels"] = "0",
        });
        using var prometheus = await PrometheusServer.StartAsync(prometheusBinary, folder.Combine("prometheus"), [serve.Target], [rules]);
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);
        try
        {
            // Four batches, each seen by a scrape before the next is sent, so every counter and histogram rises between
            // scrapes (rates have data); a version of every layer after the second and the fourth, so every layer has a
            // sin θ to its previous version.
            await UntilScrapedAsync(prometheus, "up{job=\"uws\"}", 1);
            string[] layers = [];
            const int batch = Models / 4;
            for (var first = 0; first < Models; first += batch)
            {
                for (var i = first; i < first + batch; i++)
                {
                    var model = new RegisterModelRequest($"model-{i:D5}", Path.Combine(fleetFolder, $"model-{i:D5}"));
                    var response = await serve.Http.PostAsJsonAsync($"/v1/fleets/{Fleet}/models", model, TestContext.Current.CancellationToken);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }

                if ((first / batch) % 2 == 1)
                {
                    var fleet = await serve.Http.GetFromJsonAsync<JsonObject>($"/v1/fleets/{Fleet}", TestContext.Current.CancellationToken);
                    layers = fleet!["layers"]!.AsArray().Select(l => (string)l!["layer"]!).ToArray();
                    foreach (var layer in layers)
                    {
                        Assert.Equal(HttpStatusCode.OK, (await serve.Http.PostAsync($"/v1/fleets/{Fleet}/layers/{layer}/rows/compute", null, TestContext.Current.CancellationToken)).StatusCode);
                    }
                }

                await UntilScrapedAsync(prometheus, $"sum(uws_models_absorbed_total{{uws_fleet=\"{Fleet}\"}})", first + batch);
            }

            var rejected = await serve.Http.PostAsJsonAsync($"/v1/fleets/{Fleet}/models", new RegisterModelRequest("corrupt", corrupt), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);

            // Wait for scrapes that saw everything (and the recording rules' first evaluations on them).
            await TestWait.UntilAsync(
                async () => (await prometheus.QueryAsync($"sum(uws_models_rejected_total{{uws_fleet=\"{Fleet}\"}})")).FirstOrDefault().Value == 1
                    && (await prometheus.QueryAsync("uws:ingestion_latency_seconds:p95")).Count > 0,
                "prometheus has scraped the rejection and evaluated the rules", TimeSpan.FromSeconds(60));

            var absorbed = await prometheus.QueryAsync($"sum(uws_models_absorbed_total{{uws_fleet=\"{Fleet}\"}})");
            Assert.Equal(Models, Assert.Single(absorbed).Value);
            var submitted = await prometheus.QueryAsync($"sum(uws_models_submitted_total{{uws_fleet=\"{Fleet}\"}})");
            Assert.Equal(Models + 1, Assert.Single(submitted).Value);
            var byReason = await prometheus.QueryAsync($"sum by (uws_reason) (uws_models_rejected_total{{uws_fleet=\"{Fleet}\"}})");
            var reason = Assert.Single(byReason);
            Assert.Equal(("header", 1.0), (reason.Labels["uws_reason"], reason.Value));

            Assert.Equal(4, layers.Length);
            foreach (var gauge in LayerGauges)
            {
                var series = await prometheus.QueryAsync($"{gauge}{{uws_fleet=\"{Fleet}\",uws_mode=\"rows\"}}");
                Assert.True(
                    layers.Order(StringComparer.Ordinal).SequenceEqual(series.Select(s => s.Labels["uws_layer"]).Order(StringComparer.Ordinal)),
                    $"{gauge}: series for [{string.Join(", ", series.Select(s => s.Labels["uws_layer"]))}], layers [{string.Join(", ", layers)}]");
            }

            Assert.All(await prometheus.QueryAsync($"uws_layer_models{{uws_fleet=\"{Fleet}\"}}"), s => Assert.Equal(Models, s.Value));
            Assert.All(await prometheus.QueryAsync($"uws_layer_version{{uws_fleet=\"{Fleet}\"}}"), s => Assert.Equal(2, s.Value));
            Assert.All(await prometheus.QueryAsync($"uws_layer_heldout_capture{{uws_fleet=\"{Fleet}\"}}"), s => Assert.InRange(s.Value, 0, 1));
            Assert.NotEmpty(await prometheus.QueryAsync("uws_sketch_shrink_duration_seconds_count > 0"));
            var backend = Assert.Single(await prometheus.QueryAsync("uws_silo_blas_backend == 1")).Labels["uws_backend"];
            Assert.Contains(backend, new[] { "openblas", "managed", "cuda" });

            await AssertDashboardQueriesAsync(prometheus, dashboard, started);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.SkipException)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}{Environment.NewLine}{serve.Process.Output}{Environment.NewLine}{prometheus.Process.Output}", ex);
        }
    }

    /// <summary>
    /// Every target expression and every <c>label_values</c> variable of the dashboard, with Grafana's variables replaced
    /// as a user would see them (this fleet, a 1 min rate window), evaluated over the test's time range: each returns at
    /// least one finite value, except those on <see cref="AwaitingProducer"/>, which return nothing yet.
    /// </summary>
    private static async Task AssertDashboardQueriesAsync(PrometheusServer prometheus, JsonNode dashboard, DateTimeOffset started)
    {
        var expressions = Panels(dashboard["panels"]!.AsArray())
            .SelectMany(p => p["targets"]?.AsArray() ?? [])
            .Select(t => (string)t!["expr"]!)
            .ToArray();
        Assert.True(expressions.Length >= 30, $"the dashboard has only {expressions.Length} expressions");
        var blank = new List<string>();
        foreach (var expression in expressions)
        {
            var query = expression.Replace("$fleet", Fleet, StringComparison.Ordinal).Replace("$__rate_interval", "1m", StringComparison.Ordinal);
            var series = await prometheus.QueryRangeAsync(query, started);
            var hasData = series.Any(s => s.Values.Length > 0);
            var awaiting = AwaitingProducer.Any(m => Regex.IsMatch(expression, $@"\b{m}\b"));
            if (hasData == awaiting)
            {
                blank.Add(awaiting ? $"{expression} (returns data: remove its metric from AwaitingProducer)" : expression);
            }
        }

        Assert.True(blank.Count == 0, $"dashboard expressions without data:{Environment.NewLine}{string.Join(Environment.NewLine, blank)}");

        foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => (string?)v!["type"] == "query"))
        {
            var match = LabelValues().Match((string)variable!["definition"]!);
            Assert.True(match.Success, $"variable {(string?)variable["name"]}: not a label_values query");
            Assert.Contains(Fleet, await prometheus.LabelValuesAsync(match.Groups["label"].Value, match.Groups["metric"].Value));
        }
    }

    private static Task UntilScrapedAsync(PrometheusServer prometheus, string query, double value) =>
        TestWait.UntilAsync(
            async () => (await prometheus.QueryAsync(query)) is [var only] && only.Value == value,
            $"prometheus has scraped {query} = {value}", TimeSpan.FromSeconds(60));

    private static IEnumerable<JsonNode> Panels(JsonArray panels) =>
        panels.SelectMany(p => p!["panels"] is JsonArray nested ? Panels(nested).Prepend(p) : [p!]);

    private static string DeployFile(string folder, string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "deploy", folder, name);
        Assert.True(File.Exists(path), $"{path} is not beside the tests (the test project copies deploy/{folder})");
        return path;
    }

    private static async Task<int> RunAsync(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(executable)} {string.Join(' ', arguments)}: {output}");
        return process.ExitCode;
    }

    [GeneratedRegex(@"^label_values\((?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")]
    private static partial Regex LabelValues();
}

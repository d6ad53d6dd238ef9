using System.Globalization;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// redis-server (append-only, fsync always) restarted under two silo processes and a <c>uws ingest --redis</c> worker
/// process (its own process: in this one, its metrics host would also see the test cluster's instruments of the same names):
/// ingestion pauses, retries with back-off, and finishes by itself in one pass with every model absorbed exactly once. The
/// worker's own <c>/metrics</c> (<c>--metrics-urls</c>) shows the retries and the stream's length while it runs.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisRestartProcessTests(ClusterFixture fixture)
{
    private const int Models = 150;

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    public async Task Ingestion_survives_a_redis_restart_in_one_pass(int downSeconds)
    {
        var name = $"restart-{downSeconds}";
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", Models, layerCount: 1) with { Seed = 91 });
        var data = Directory.CreateDirectory(Path.Combine(fixture.Root, name + "-redis")).FullName;
        await using var cluster = await SiloProcessCluster.StartAsync("uws-" + name, 2, new Dictionary<string, string>(), data);
        await cluster.AssertAsync(async () =>
        {
            var registry = cluster.Client.GetGrain<IFleetGrain>(name);
            await registry.ConfigureAsync(new FleetConfiguration(
                Modes: [SketchMode.Rows], SliceCount: 2, Sketch: new SketchSettings(16, 1024), Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3),
                Layers: fleet.Spec.Layers.ToDictionary(l => l.LayerId, l => new LayerShape(l.OutFeatures, l.InFeatures))));

            var metricsUrl = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";
            using var worker = UwsExecutable.Start("uws ingest",
            [
                "ingest", fleet.Folder, "--redis", cluster.Redis, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId,
                "--fleet-id", name, "--call-timeout", "15", "--reclaim-after", "2", "--parallelism", "4", "--metrics-urls", metricsUrl,
            ]);
            var run = worker.WaitForExitAsync(TestContext.Current.CancellationToken);
            var scrapes = ScrapeWhileRunningAsync(new Uri(metricsUrl + "/metrics"), $"uws:{cluster.ClusterId}:{name}:ingest", run);
            await TestWait.UntilAsync(async () => (await registry.GetDescriptionAsync()).Counts.Absorbed >= 30, "30 models absorbed", TimeSpan.FromMinutes(2));
            await cluster.RestartRedisAsync(TimeSpan.FromSeconds(downSeconds));
            var exitCode = await run;

            Assert.True(exitCode == ExitCodes.Success, worker.Output);
            Assert.True(worker.Wrote("retry"), worker.Output);
            var scraped = await scrapes;
            var printed = string.Join(Environment.NewLine, worker.Lines(l => l.Contains("metrics at", StringComparison.Ordinal) || l.Contains("retry", StringComparison.Ordinal), 10));
            Assert.True(scraped.Retries + scraped.Deferred >= 1, $"the worker printed retries, its /metrics counted none; {scraped}{Environment.NewLine}what the worker printed about metrics and retries:{Environment.NewLine}{printed}");
            Assert.True(scraped.Length is > 0 and <= Models, $"the worker's /metrics reported a stream of {scraped.Length} entries at most, not 1 to {Models}; {scraped}");
            Assert.Equal(new ModelCounts(0, Models, 0), (await ClusterRetryCall(registry.GetDescriptionAsync)).Counts);
            foreach (var layer in fleet.Spec.Layers)
            {
                var slices = await cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer.LayerId, SketchMode.Rows)).GetSlicesAsync();
                Assert.Equal(Models, slices.Sum(s => s.ModelCount));
                Assert.Equal(Models * layer.OutFeatures, slices.Sum(s => s.RowCount));
            }
        });
    }

    /// <summary>
    /// Reads <paramref name="metrics"/> every 200 ms until <paramref name="run"/> ends: the most Redis retries, entries
    /// deferred by cluster faults, and the longest stream <paramref name="queue"/> seen.
    /// </summary>
    private static async Task<Scrapes> ScrapeWhileRunningAsync(Uri metrics, string queue, Task run)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var seen = new Scrapes();
        while (!run.IsCompleted)
        {
            try
            {
                var page = await http.GetStringAsync(metrics, TestContext.Current.CancellationToken);
                seen.Pages++;
                seen.Retries = Math.Max(seen.Retries, QueueSeries.Value(page, "uws_queue_retries_total", queue) ?? 0);
                seen.Length = Math.Max(seen.Length, QueueSeries.Value(page, "uws_queue_length", queue) ?? 0);
                seen.Deferred = Math.Max(seen.Deferred, QueueSeries.Sum(page, "uws_queue_deferred_total", queue));
                seen.Last = QueueSeries.Lines(page);
                seen.PagesWithQueueSeries += seen.Last.Length > 0 ? 1 : 0;
                seen.First ??= string.Join(" | ", page.Split('\n').Where(l => l.StartsWith("uws_", StringComparison.Ordinal)).Take(3));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                seen.Failures++; // not listening yet, or already stopped
                seen.LastFailure = ex.Message;
            }

            await Task.WhenAny(run, Task.Delay(200, TestContext.Current.CancellationToken));
        }

        return seen;
    }

    private sealed class Scrapes
    {
        public int Pages { get; set; }

        public int Failures { get; set; }

        public double Retries { get; set; }

        public double Deferred { get; set; }

        public double Length { get; set; }

        public string Last { get; set; } = "";

        public int PagesWithQueueSeries { get; set; }

        public string? First { get; set; }

        public string LastFailure { get; set; } = "";

        public override string ToString() =>
            $"{Pages} pages read ({PagesWithQueueSeries} with queue series; the first page's first uws_ lines: {First}), {Failures} requests failed (last: {LastFailure}); the last page's queue series:{Environment.NewLine}{Last}";
    }


    private static Task<T> ClusterRetryCall<T>(Func<Task<T>> call) =>
        OrleansUws.Coordinator.Ingestion.ClusterRetry.CallAsync(call, TestContext.Current.CancellationToken);
}

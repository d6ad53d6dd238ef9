using System.Globalization;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// redis-server (append-only, fsync always) restarted under two silo processes and a <c>uws ingest --redis</c> worker:
/// ingestion pauses, retries with back-off, and finishes by itself in one pass with every model absorbed exactly once.
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

            var run = CliHarness.InvokeAsync(
                "ingest", fleet.Folder, "--redis", cluster.Redis, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId,
                "--fleet-id", name, "--call-timeout", "15", "--reclaim-after", "2", "--parallelism", "4");
            await TestWait.UntilAsync(async () => (await registry.GetDescriptionAsync()).Counts.Absorbed >= 30, "30 models absorbed", TimeSpan.FromMinutes(2));
            await cluster.RestartRedisAsync(TimeSpan.FromSeconds(downSeconds));
            var result = await run;

            Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
            Assert.Contains("retry", result.Output, StringComparison.Ordinal);
            Assert.Equal(new ModelCounts(0, Models, 0), (await ClusterRetryCall(registry.GetDescriptionAsync)).Counts);
            foreach (var layer in fleet.Spec.Layers)
            {
                var slices = await cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer.LayerId, SketchMode.Rows)).GetSlicesAsync();
                Assert.Equal(Models, slices.Sum(s => s.ModelCount));
                Assert.Equal(Models * layer.OutFeatures, slices.Sum(s => s.RowCount));
            }
        });
    }

    private static Task<T> ClusterRetryCall<T>(Func<Task<T>> call) =>
        OrleansUws.Coordinator.Ingestion.ClusterRetry.CallAsync(call, TestContext.Current.CancellationToken);
}

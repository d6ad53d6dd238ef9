using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// <c>uws run --redis</c> against silo processes sends its models through the fleet's durable queue, as <c>uws ingest</c>
/// does: every model is appended to the stream and acknowledged, and the versions still come at T = N, 2N, ….
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RunQueueProcessTests(ClusterFixture fixture)
{
    private const int Models = 30;

    [Fact]
    public async Task Run_with_a_cluster_ingests_through_the_queue_with_versions_every_n_models()
    {
        const string name = "run-queue";
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", Models, layerCount: 1) with { Seed = 93 });
        await using var cluster = await SiloProcessCluster.StartAsync("uws-" + name, 1, new Dictionary<string, string>());
        await cluster.AssertAsync(async () =>
        {
            var run = await CliHarness.InvokeAsync(
                "run", "--fleet", fleet.Folder, "--k", "3", "--version-every", "10", "--out", Path.Combine(fixture.Root, name + "-out"),
                "--redis", cluster.Redis, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId, "--fleet-id", name, "--call-timeout", "15");
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

            using var redis = await RedisIngestionQueue.ConnectAsync(cluster.Redis, TimeSpan.FromSeconds(5));
            var figures = await new RedisIngestionQueue(redis, cluster.ClusterId, name, "test").ReadFiguresAsync();
            Assert.Equal((0L, 0L), (figures.Length, figures.Pending));

            var registry = cluster.Client.GetGrain<IFleetGrain>(name);
            Assert.Equal(new ModelCounts(0, Models, 0), (await registry.GetDescriptionAsync()).Counts);
            foreach (var layer in fleet.Spec.Layers)
            {
                var status = await cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer.LayerId, SketchMode.Rows)).GetStatusAsync();
                Assert.Equal(Models, status.AbsorbedModels);
                Assert.Equal([10, 20, 30], status.History.Select(v => v.ModelCount).ToArray());
            }
        });
    }
}

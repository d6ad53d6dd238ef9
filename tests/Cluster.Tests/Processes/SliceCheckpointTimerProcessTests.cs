using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// The time trigger of slice checkpoints on two real silo processes with Redis storage: with a count trigger that never
/// fires and a 1 s interval, models submitted directly are answered not yet durable; a few seconds later the silo hosting
/// their slice is killed with SIGKILL, and the slice that comes back from storage on the other silo holds every one.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SliceCheckpointTimerProcessTests(ClusterFixture fixture)
{
    private const int Models = 3;

    [Fact]
    public async Task The_time_trigger_checkpoints_what_the_count_trigger_would_not_before_the_silo_dies()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "timed", FleetPresets.Create("tiny", Models, layerCount: 1) with { Seed = 81 });
        await using var cluster = await SiloProcessCluster.StartAsync("uws-timed", 2, new Dictionary<string, string>
        {
            ["Uws:Cluster:SliceCheckpointEveryModels"] = "100000",
            ["Uws:Cluster:SliceCheckpointIntervalSeconds"] = "1",
        });
        await cluster.AssertAsync(async () =>
        {
            var registry = cluster.Client.GetGrain<IFleetGrain>("timed");
            await registry.ConfigureAsync(new FleetConfiguration(
                Modes: [SketchMode.Rows],
                Layers: fleet.Spec.Layers.ToDictionary(l => l.LayerId, l => new LayerShape(l.OutFeatures, l.InFeatures)),
                SliceCount: 1));
            var results = await Task.WhenAll(fleet.Models(0, Models).Select(registry.SubmitAsync));
            Assert.All(results, r => Assert.Equal((ModelStatus.Absorbed, false), (r.Status, r.Durable)));

            // The trigger under test is a clock: give it three intervals (nothing else would checkpoint these models).
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            var slice = cluster.Client.GetGrain<ILayerSliceGrain>(UwsKeys.Slice("timed", fleet.Spec.Layers[0].LayerId, SketchMode.Rows, 0));
            var victim = await cluster.HostOfAsync(slice);
            await cluster.UseGatewayAsync(1 - victim);
            await cluster.KillAsync(victim);

            var held = await cluster.Client.GetGrain<ILayerSliceGrain>(UwsKeys.Slice("timed", fleet.Spec.Layers[0].LayerId, SketchMode.Rows, 0)).GetModelIdsAsync();
            Assert.Equal(fleet.Models(0, Models).Select(m => m.ModelId).Order(StringComparer.Ordinal), held);
        });
    }
}

using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using OrleansUws.Grains;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// A layer's version history is stored in sealed segments: publishing a version writes a bounded state however many
/// versions came before, and the whole history reads back in order, also after the coordinator reactivates.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VersionHistoryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Seventy_versions_read_back_in_order_while_the_coordinator_state_holds_fewer_than_a_segment()
    {
        const string name = "history";
        const int versions = (2 * VersionHistory.SegmentVersions) + 6;
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", versions, layerCount: 1) with { Seed = 95 });
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        await registry.ConfigureAsync(new FleetConfiguration(
            Modes: [SketchMode.Rows], SliceCount: 1, Sketch: new SketchSettings(16, 1024), Basis: new BasisPolicy(2, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3)));
        var layer = fleet.Spec.Layers[0].LayerId;
        var coordinator = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer, SketchMode.Rows));

        // One version per model: T = 1, 2, …, 70.
        foreach (var model in fleet.Models(0, versions))
        {
            Assert.Equal(ModelStatus.Absorbed, (await registry.SubmitAsync(model)).Status);
            await coordinator.ComputeNowAsync();
        }

        var expected = Enumerable.Range(1, versions).ToArray();
        var status = await coordinator.GetStatusAsync();
        Assert.Equal(expected, status.History.Select(v => v.Version));
        Assert.Equal(expected, status.History.Select(v => v.ModelCount));

        // What the coordinator writes per version: the open segment only, two full segments sealed beside it.
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(UwsStorage.Name);
        var stored = new GrainState<LayerCoordinatorState>(new LayerCoordinatorState());
        await storage.ReadStateAsync("layer", coordinator.GetGrainId(), stored);
        Assert.Equal(2, stored.State!.SealedHistorySegments);
        Assert.Equal(Enumerable.Range((2 * VersionHistory.SegmentVersions) + 1, 6), stored.State.History.Select(v => v.Version));

        // A fresh activation reads the sealed segments back from storage.
        await coordinator.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        await TestWait.UntilAsync(
            async () => (await coordinator.GetStatusAsync()).History.Select(v => v.Version).SequenceEqual(expected),
            "the whole history after reactivation");
    }
}

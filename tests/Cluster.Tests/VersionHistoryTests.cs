using Orleans.Core.Internal;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// What a coordinator writes per version is bounded: its history in sealed segments (the state holds the versions since
/// the last one), its current basis without the vectors (the archive entry holds them). The whole history and the
/// current vectors read back, also after the coordinator reactivates.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VersionHistoryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Seventy_versions_read_back_in_order_while_the_stored_state_holds_less_than_a_segment_and_no_vectors()
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
        var stored = await fixture.StoredStateAsync(coordinator);
        Assert.Equal(2, stored.SealedHistorySegments);
        Assert.Equal(Enumerable.Range((2 * VersionHistory.SegmentVersions) + 1, 6), stored.History.Select(v => v.Version));
        Assert.Equal(versions, stored.Current!.Info.Version);
        Assert.Empty(stored.Current.Vectors);
        var basis = (await coordinator.GetBasisAsync())!;
        Assert.Equal(basis.Info.Rank * basis.Dimension, basis.Vectors.Length);
        Assert.True(basis.Info.Rank > 0);

        // A fresh activation reads the sealed segments back from storage.
        await coordinator.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        await TestWait.UntilAsync(
            async () => (await coordinator.GetStatusAsync()).History.Select(v => v.Version).SequenceEqual(expected),
            "the whole history after reactivation");
        var reread = (await coordinator.GetBasisAsync())!;
        Assert.Equal(versions, reread.Info.Version);
        Assert.Equal(basis.Vectors, reread.Vectors);
        Assert.Equal(basis.SingularValues, reread.SingularValues);
    }
}

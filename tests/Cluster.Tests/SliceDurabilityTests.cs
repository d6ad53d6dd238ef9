using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// What a queue consumer needs to acknowledge only durable models: an absorb says whether its model is checkpointed,
/// and a flush checkpoints the rest (the test cluster's in-memory storage batches checkpoints until deactivation).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SliceDurabilityTests(ClusterFixture fixture)
{
    [Fact]
    public async Task An_absorb_reports_it_is_not_yet_durable_until_the_slice_is_flushed()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "durable", FleetPresets.Create("tiny", 3) with { Seed = 21 });
        var layer = fleet.Spec.Layers[0];
        var configuration = new LayerConfiguration(
            "durable", layer.LayerId, SketchMode.Rows, new LayerShape(layer.OutFeatures, layer.InFeatures), SliceCount: 1, Centered: false,
            new SketchSettings(SketchRows: 8, ExactGramMaxDimension: 0),
            new BasisPolicy(Rank: 2, EnergyThreshold: 0.9, MaxRank: 4, EveryModels: 0, Interval: TimeSpan.Zero, Oversampling: 4, MaxIterations: 50, Seed: 7));
        var slice = fixture.Client.GetGrain<ILayerSliceGrain>(UwsKeys.Slice("durable", layer.LayerId, SketchMode.Rows, 0));

        var first = await slice.AbsorbAsync(fleet.Model(0), configuration);
        var second = await slice.AbsorbAsync(fleet.Model(1), configuration);
        Assert.False(first.Durable);
        Assert.False(second.Durable);
        Assert.False((await slice.AbsorbAsync(fleet.Model(0), configuration)).Durable);

        Assert.Equal(2, await slice.FlushAsync());
        var again = await slice.AbsorbAsync(fleet.Model(1), configuration);
        Assert.True(again.AlreadyAbsorbed);
        Assert.True(again.Durable);
        Assert.Equal(2, await slice.FlushAsync());

        // The flushed checkpoint is what the slice serves: its snapshot is the stored blob, unchanged by a second flush.
        var snapshot = await slice.GetSnapshotAsync();
        Assert.Equal(2, snapshot.ModelCount);
        Assert.NotEmpty(snapshot.Sketch);
        Assert.False((await slice.AbsorbAsync(fleet.Model(2), configuration)).Durable);
        Assert.Equal(3, await slice.FlushAsync());
    }
}

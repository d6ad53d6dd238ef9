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

        var first = await slice.AbsorbAsync(fleet.Model(0), configuration, cut: 0);
        var second = await slice.AbsorbAsync(fleet.Model(1), configuration, cut: 0);
        Assert.False(first.Durable);
        Assert.False(second.Durable);
        Assert.False((await slice.AbsorbAsync(fleet.Model(0), configuration, cut: 0)).Durable);

        Assert.Equal(2, await slice.FlushAsync());
        var again = await slice.AbsorbAsync(fleet.Model(1), configuration, cut: 0);
        Assert.True(again.AlreadyAbsorbed);
        Assert.True(again.Durable);
        Assert.Equal(2, await slice.FlushAsync());

        // The flushed checkpoint is what the slice serves: its snapshot is the stored blob, unchanged by a second flush.
        var snapshot = await slice.GetSnapshotAsync();
        Assert.Equal(2, snapshot.ModelCount);
        Assert.NotEmpty(snapshot.Sketch.Bytes);
        Assert.False((await slice.AbsorbAsync(fleet.Model(2), configuration, cut: 0)).Durable);
        Assert.Equal(3, await slice.FlushAsync());
    }

    [Fact]
    public async Task A_fleet_flush_checkpoints_the_slices_of_its_models_and_names_the_durable_ones()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "flushed", FleetPresets.Create("tiny", 6) with { Seed = 23 });
        var registry = fixture.Client.GetGrain<IFleetGrain>("flushed");
        await registry.ConfigureAsync(new FleetConfiguration(
            Modes: [SketchMode.Rows, SketchMode.Columns],
            Layers: fleet.Spec.Layers.ToDictionary(l => l.LayerId, l => new LayerShape(l.OutFeatures, l.InFeatures)),
            SliceCount: 2));
        var ids = Enumerable.Range(0, 6).Select(i => fleet.Model(i).ModelId).ToArray();

        // The test cluster's memory storage checkpoints only on deactivation: nothing is durable when absorbed.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => registry.SubmitAsync(fleet.Model(i))));
        Assert.All(results, r => Assert.Equal((ModelStatus.Absorbed, false), (r.Status, r.Durable)));

        // The flush names every absorbed model, not an id no slice holds.
        Assert.Equal(ids.Order(StringComparer.Ordinal), await registry.FlushAsync([.. ids, "never-submitted"]));
        foreach (var layer in fleet.Spec.Layers)
        {
            foreach (var mode in new[] { SketchMode.Rows, SketchMode.Columns })
            {
                for (var slice = 0; slice < 2; slice++)
                {
                    var grain = fixture.Client.GetGrain<ILayerSliceGrain>(UwsKeys.Slice("flushed", layer.LayerId, mode, slice));
                    var held = await grain.GetModelIdsAsync();
                    Assert.Equal(held.Count, (await grain.GetSnapshotAsync()).ModelCount);
                    Assert.Empty(await grain.CheckpointModelsAsync(held));
                }
            }
        }

        // A repeated submission is already known; the registry does not ask the slices again (Durable false), a flush does.
        var again = await registry.SubmitAsync(fleet.Model(0));
        Assert.Equal((ModelStatus.Absorbed, true, false), (again.Status, again.AlreadyKnown, again.Durable));
        Assert.Equal([ids[0]], await registry.FlushAsync([ids[0]]));
    }

    [Fact]
    public async Task A_fleet_flush_checkpoints_the_column_slices_of_a_flattened_layer()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "flushed-flat", FleetPresets.Create("tiny", 4) with { Seed = 29 });
        var registry = fixture.Client.GetGrain<IFleetGrain>("flushed-flat");
        await registry.ConfigureAsync(new FleetConfiguration(
            Modes: [SketchMode.Flattened],
            Layers: fleet.Spec.Layers.ToDictionary(l => l.LayerId, l => new LayerShape(l.OutFeatures, l.InFeatures)),
            SliceCount: 2,
            Sketch: new SketchSettings(SketchRows: 8, ExactGramMaxDimension: 0),
            Basis: new BasisPolicy(Rank: 2, EnergyThreshold: 0.9, MaxRank: 4, EveryModels: 0, Interval: TimeSpan.Zero, Oversampling: 4, MaxIterations: 50, Seed: 7)));
        var ids = Enumerable.Range(0, 4).Select(i => fleet.Model(i).ModelId).ToArray();
        foreach (var i in Enumerable.Range(0, 4))
        {
            Assert.Equal(ModelStatus.Absorbed, (await registry.SubmitAsync(fleet.Model(i))).Status);
        }

        // The test cluster's memory storage checkpoints on deactivation only: every column slice holds 4 rows unwritten.
        var coordinators = fleet.Spec.Layers
            .Select(l => fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("flushed-flat", l.LayerId, SketchMode.Flattened)))
            .ToArray();
        foreach (var coordinator in coordinators)
        {
            Assert.All(await coordinator.GetSlicesAsync(), s => Assert.Equal((4L, 4), (s.RowCount, s.PendingCheckpoint)));
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), await registry.FlushAsync([.. ids, "never-submitted"]));
        foreach (var coordinator in coordinators)
        {
            Assert.All(await coordinator.GetSlicesAsync(), s => Assert.Equal((4L, 0), (s.RowCount, s.PendingCheckpoint)));
            Assert.Equal(["never-submitted"], await coordinator.CheckpointFlattenedAsync([ids[0], "never-submitted"]));
        }
    }

    [Fact]
    public async Task A_flattened_layer_out_of_step_is_rebuilt_by_the_flush_and_names_its_models_durable_again()
    {
        const string name = "repaired-flat";
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 6, layerCount: 1) with { Seed = 31 });
        var configuration = new FleetConfiguration(
            Modes: [SketchMode.Flattened],
            FlattenedSliceCount: 2,
            Sketch: new SketchSettings(SketchRows: 4, ExactGramMaxDimension: 0),
            Basis: new BasisPolicy(Rank: 2, EnergyThreshold: 0.9, MaxRank: 2, EveryModels: 0, Interval: TimeSpan.Zero, Oversampling: 4, MaxIterations: 50, Seed: 7));
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        var control = fixture.Client.GetGrain<IFleetGrain>(name + "-control");
        await registry.ConfigureAsync(configuration);
        await control.ConfigureAsync(configuration);
        var ids = Enumerable.Range(0, 6).Select(i => fleet.Model(i).ModelId).ToArray();
        foreach (var model in fleet.Models(0, 6))
        {
            await registry.SubmitAsync(model);
            await control.SubmitAsync(model);
        }

        // Column slice 1 lost its rows (as when its silo fails before a checkpoint): the layer is out of step.
        var key = UwsKeys.Coordinator(name, fleet.Spec.Layers[0].LayerId, SketchMode.Flattened);
        var coordinator = fixture.Client.GetGrain<ILayerCoordinatorGrain>(key);
        await fixture.Client.GetGrain<IColumnSliceGrain>(key + "/1").ResetAsync();
        Assert.Equal("its column slices hold 6, 0 rows; the layer has 6 models", await coordinator.CheckFlattenedStepAsync());
        Assert.Equal(ids, await coordinator.CheckpointFlattenedAsync(ids));

        // The queue's flush finds it, rebuilds the layer from the absorbed models in their order, and names them all durable.
        Assert.Equal(ids.Order(StringComparer.Ordinal), await registry.FlushAsync(ids));
        Assert.Null(await coordinator.CheckFlattenedStepAsync());
        Assert.All(await coordinator.GetSlicesAsync(), s => Assert.Equal(6L, s.RowCount));
        await coordinator.ComputeNowAsync();
        var expected = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name + "-control", fleet.Spec.Layers[0].LayerId, SketchMode.Flattened));
        await expected.ComputeNowAsync();
        var basis = (await coordinator.GetBasisAsync())!;
        var reference = (await expected.GetBasisAsync())!;
        var sinTheta = OrleansUws.Numerics.Metrics.SubspaceMetrics.SinThetaMax(basis.Vectors, 2, reference.Vectors, 2, basis.Dimension);
        Assert.True(sinTheta <= 1e-6, $"sin θ = {sinTheta:E2}");
    }
}

using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Numerics.Metrics;
using Xunit;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>
/// Deleting models: exact-Gram and Nyström layers subtract them, Frequent Directions layers rebuild the one slice that held them;
/// either way every layer's next version (computed by the deletion) equals a fleet that never had them, later models
/// are merged against the changed slices, and the registry records when and how.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DeletionTests(ClusterFixture fixture)
{
    private static readonly SketchMode[] Modes = [SketchMode.Rows, SketchMode.Columns];

    [Theory]
    [InlineData(1024, false, "delete-exact", LargeLayerSketch.FrequentDirections)]
    [InlineData(1024, true, "delete-exact-centred", LargeLayerSketch.FrequentDirections)]
    [InlineData(0, false, "delete-fd", LargeLayerSketch.FrequentDirections)]
    [InlineData(0, false, "delete-nystrom", LargeLayerSketch.Nystrom)]
    [InlineData(0, true, "delete-nystrom-centred", LargeLayerSketch.Nystrom)]
    public async Task Deleted_models_leave_every_layer_as_if_never_absorbed(int exactGramMaxDimension, bool centred, string name, LargeLayerSketch large)
    {
        bool subtractable = exactGramMaxDimension > 0 || large == LargeLayerSketch.Nystrom;
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 11, layerCount: 1) with { Seed = 81 });
        var configuration = new FleetConfiguration(
            Modes: Modes,
            Centered: centred,
            SliceCount: 2,
            Sketch: new SketchSettings(16, exactGramMaxDimension, large),
            Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3));
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        var control = fixture.Client.GetGrain<IFleetGrain>(name + "-control");
        await registry.ConfigureAsync(configuration);
        await control.ConfigureAsync(configuration);
        foreach (var model in fleet.Models(0, 10))
        {
            await registry.SubmitAsync(model);
        }

        // Versions of all ten exist before the deletion: the deletion itself must publish versions without the deleted.
        var layers = fleet.Spec.Layers.SelectMany(l => Modes.Select(mode => (l.LayerId, mode))).ToArray();
        string kind = exactGramMaxDimension > 0 ? "exact-gram" : large == LargeLayerSketch.Nystrom ? "nystrom" : "fd";
        foreach (var (layer, mode) in layers)
        {
            Assert.Equal(10, (await Coordinator(name, layer, mode).ComputeNowAsync())!.ModelCount);
            Assert.All(await Coordinator(name, layer, mode).GetSlicesAsync(), slice => Assert.Equal(kind, slice.SketchKind));
        }

        var deleted = new[] { fleet.Model(2).ModelId, fleet.Model(5).ModelId, fleet.Model(9).ModelId };
        foreach (var model in fleet.Models(0, 10).Where(m => !deleted.Contains(m.ModelId)))
        {
            await control.SubmitAsync(model);
        }

        // The third deleted model's file no longer holds what was absorbed: it cannot be subtracted, its slices are rebuilt.
        var changed = fleet.Model(9);
        foreach (var file in Directory.GetFiles(changed.Location, "*.safetensors"))
        {
            // Replaced as a tool writes a new file (a silo may hold the old one open).
            File.Delete(file);
            File.Copy(Path.Combine(fleet.Model(0).Location, Path.GetFileName(file)), file);
        }

        foreach (var id in deleted)
        {
            var result = await registry.DeleteAsync(id);
            Assert.True(result.Deleted, result.Reason);
            bool subtracts = subtractable && id != changed.ModelId;
            Assert.Equal(subtracts ? layers.Length : 0, result.LayersSubtracted.Count);
            Assert.Equal(subtracts ? 0 : layers.Length, result.LayersRebuilt.Count);
            Assert.Contains(
                !subtracts ? "rebuilt from its" : $"{layers.Length} layer sketches subtracted it exactly; new basis versions exclude it",
                result.Reason,
                StringComparison.Ordinal);
        }

        Assert.Equal(new ModelCounts(0, 7, 0, 0, 3), (await registry.GetDescriptionAsync()).Counts);
        var record = (await registry.GetModelAsync(deleted[2]))!;
        Assert.Equal(ModelStatus.Deleted, record.Status);
        Assert.Equal(fixture.Time.GetUtcNow(), record.CompletedAt);
        Assert.Contains(subtractable ? "no longer holds the content absorbed" : "Frequent Directions cannot subtract", record.Reason, StringComparison.Ordinal);
        Assert.False((await registry.DeleteAsync(deleted[0])).Deleted);

        await AssertSameBasesAsync(name, layers, 7, trigger: BasisTrigger.Deletion);

        // Models absorbed after the deletion are merged with the slices as the deletion left them.
        await registry.SubmitAsync(fleet.Model(10));
        await control.SubmitAsync(fleet.Model(10));
        await AssertSameBasesAsync(name, layers, 8, trigger: BasisTrigger.OnDemand);
    }

    [Fact]
    public async Task A_flattened_layer_appends_its_remaining_models_again()
    {
        const string name = "delete-flattened";
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 10, layerCount: 1) with { Seed = 83 });
        var configuration = new FleetConfiguration(
            Modes: [SketchMode.Flattened],
            FlattenedSliceCount: 2,
            Sketch: new SketchSettings(8, 1024),
            Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3));
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        var control = fixture.Client.GetGrain<IFleetGrain>(name + "-control");
        await registry.ConfigureAsync(configuration);
        await control.ConfigureAsync(configuration);

        // In order: a Frequent Directions sketch depends on the order of its rows, and a rebuild appends in the registry's.
        string[] deleted = [fleet.Model(1).ModelId, fleet.Model(6).ModelId];
        foreach (var model in fleet.Models(0, 10))
        {
            await registry.SubmitAsync(model);
            if (!deleted.Contains(model.ModelId))
            {
                await control.SubmitAsync(model);
            }
        }

        var layers = fleet.Spec.Layers.Select(l => (l.LayerId, SketchMode.Flattened)).ToArray();
        foreach (var (layer, mode) in layers)
        {
            await Coordinator(name, layer, mode).ComputeNowAsync();
        }

        foreach (var id in deleted)
        {
            var result = await registry.DeleteAsync(id);
            Assert.True(result.Deleted, result.Reason);
            Assert.Equal((0, layers.Length), (result.LayersSubtracted.Count, result.LayersRebuilt.Count));
            Assert.Contains("(flattened): rebuilt from its", result.Reason, StringComparison.Ordinal);
        }

        await AssertSameBasesAsync(name, layers, 8, trigger: BasisTrigger.Deletion);
        Assert.All(await Coordinator(name, layers[0].LayerId, SketchMode.Flattened).GetSlicesAsync(), s => Assert.Equal(8, s.ModelCount));
    }

    [Fact]
    public async Task The_last_absorbed_model_is_not_deleted()
    {
        const string name = "delete-last";
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 1, layerCount: 1) with { Seed = 82 });
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        await registry.ConfigureAsync(new FleetConfiguration(Modes: [SketchMode.Rows], SliceCount: 1, Sketch: new SketchSettings(64, 1024)));
        await registry.SubmitAsync(fleet.Model(0));

        var result = await registry.DeleteAsync(fleet.Model(0).ModelId);
        Assert.False(result.Deleted);
        Assert.Equal($"model '{fleet.Model(0).ModelId}' is the fleet's last absorbed model; a basis needs at least one", result.Reason);
        Assert.Equal(ModelStatus.Absorbed, (await registry.GetModelAsync(fleet.Model(0).ModelId))!.Status);
    }

    private ILayerCoordinatorGrain Coordinator(string fleet, string layer, SketchMode mode) =>
        fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer, mode));

    private async Task AssertSameBasesAsync(string name, (string Layer, SketchMode Mode)[] layers, int models, BasisTrigger trigger)
    {
        foreach (var (layer, mode) in layers)
        {
            var a = Coordinator(name, layer, mode);
            var b = Coordinator(name + "-control", layer, mode);
            if (trigger != BasisTrigger.Deletion)
            {
                await a.ComputeNowAsync();
            }

            await b.ComputeNowAsync();
            var basis = (await a.GetBasisAsync())!;
            var expected = (await b.GetBasisAsync())!;
            Assert.Equal((models, trigger), (basis.Info.ModelCount, basis.Info.Trigger));
            var sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, 3, expected.Vectors, 3, basis.Dimension);
            Assert.True(sinTheta <= 1e-6, $"{layer} ({mode}): sin θ = {sinTheta:E2}");
        }
    }
}

using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Numerics.Metrics;
using Xunit;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>Deleting models: the rebuilt layers equal a fleet that never had them; the registry records when and how.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DeletionTests(ClusterFixture fixture)
{
    private static readonly SketchMode[] Modes = [SketchMode.Rows, SketchMode.Columns];

    [Theory]
    [InlineData(1024, "delete-exact")]
    [InlineData(0, "delete-fd")]
    public async Task Deleted_models_leave_every_layer_as_if_never_absorbed(int exactGramMaxDimension, string name)
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 10, layerCount: 1) with { Seed = 81 });
        var configuration = new FleetConfiguration(
            Modes: Modes,
            SliceCount: 2,
            Sketch: new SketchSettings(16, exactGramMaxDimension),
            Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3));
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        var control = fixture.Client.GetGrain<IFleetGrain>(name + "-control");
        await registry.ConfigureAsync(configuration);
        await control.ConfigureAsync(configuration);
        foreach (var model in fleet.Models(0, 10))
        {
            await registry.SubmitAsync(model);
        }

        var deleted = new[] { fleet.Model(2).ModelId, fleet.Model(5).ModelId, fleet.Model(9).ModelId };
        foreach (var model in fleet.Models(0, 10).Where(m => !deleted.Contains(m.ModelId)))
        {
            await control.SubmitAsync(model);
        }

        foreach (var id in deleted)
        {
            var result = await registry.DeleteAsync(id);
            Assert.True(result.Deleted, result.Reason);
            Assert.Equal(fleet.Spec.Layers.Count * Modes.Length, result.LayersRebuilt.Count);
        }

        Assert.Equal(new ModelCounts(0, 7, 0, 0, 3), (await registry.GetDescriptionAsync()).Counts);
        var record = (await registry.GetModelAsync(deleted[0]))!;
        Assert.Equal(ModelStatus.Deleted, record.Status);
        Assert.Equal(fixture.Time.GetUtcNow(), record.CompletedAt);
        Assert.Contains("rebuilt from the 9 remaining models", record.Reason, StringComparison.Ordinal);
        Assert.False((await registry.DeleteAsync(deleted[0])).Deleted);

        foreach (var layer in fleet.Spec.Layers)
        {
            foreach (var mode in Modes)
            {
                var a = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer.LayerId, mode));
                var b = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name + "-control", layer.LayerId, mode));
                await a.ComputeNowAsync();
                await b.ComputeNowAsync();
                var basis = (await a.GetBasisAsync())!;
                var expected = (await b.GetBasisAsync())!;
                Assert.Equal(7, basis.Info.ModelCount);
                var sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, 3, expected.Vectors, 3, basis.Dimension);
                Assert.True(sinTheta <= 1e-6, $"{layer.LayerId} ({mode}): sin θ = {sinTheta:E2}");
            }
        }
    }
}

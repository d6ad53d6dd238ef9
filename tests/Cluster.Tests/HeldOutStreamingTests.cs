using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// Held-out capture measured while streaming, on the shared 2-silo cluster: models absorbed after a version are
/// projected onto it by their slices first, and the next version carries the layer's sums.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HeldOutStreamingTests(ClusterFixture fixture)
{
    private static readonly SketchMode[] BothModes = [SketchMode.Rows, SketchMode.Columns];

    /// <summary>
    /// Planted without noise: every later adapter lies in the span the basis found (capture 1). Random: a k = 3 basis of
    /// d = 32 fitted on 8 other random adapters keeps a little under k/d = 0.094 of a new one.
    /// </summary>
    [Theory]
    [InlineData(FleetStructure.Planted, 1.0, 1.0)]
    [InlineData(FleetStructure.Random, 0.0717, 0.0661)]
    public async Task Later_models_are_measured_against_the_version_they_met(FleetStructure structure, double rowsCapture, double columnsCapture)
    {
        string name = $"held-out-{structure}".ToLowerInvariant();
        var spec = FleetPresets.Create("tiny", 16) with { NoiseLevel = 0, Structure = structure, DType = TensorDType.F32, Seed = 5 };
        var fleet = GeneratedFleet.Generate(fixture.Root, name, spec);
        var grain = fixture.Client.GetGrain<IFleetGrain>(UwsKeys.Fleet(name));
        await grain.ConfigureAsync(new FleetConfiguration(
            Modes: BothModes, SliceCount: 2, Sketch: new SketchSettings(SketchRows: 8, ExactGramMaxDimension: 1024),
            Basis: new BasisPolicy(Rank: spec.SubspaceDimension, EnergyThreshold: 0.9, MaxRank: 6, EveryModels: 0,
                Interval: TimeSpan.Zero, Oversampling: 10, MaxIterations: 100, Seed: 7)));
        foreach (var model in fleet.Models(0, 8))
        {
            Assert.Equal(ModelStatus.Absorbed, (await grain.SubmitAsync(model)).Status);
        }

        var layer = spec.Layers[0];
        var versions = new List<BasisVersionInfo>();
        foreach (var mode in BothModes)
        {
            var first = (await fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer.LayerId, mode)).ComputeNowAsync())!;
            Assert.Null(first.HeldOut); // nothing had a basis to meet
            Assert.Equal(8L * spec.Rank, first.IndependentRows);
        }

        foreach (var model in fleet.Models(8, 8))
        {
            Assert.Equal(ModelStatus.Absorbed, (await grain.SubmitAsync(model)).Status);
        }

        foreach (var mode in BothModes)
        {
            var second = (await fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, layer.LayerId, mode)).ComputeNowAsync())!;
            var heldOut = second.HeldOut!;
            Assert.Equal((8, 1), (heldOut.Models, heldOut.SinceVersion));
            Assert.Equal(mode == SketchMode.Rows ? rowsCapture : columnsCapture, heldOut.MeanShare!.Value, 4);
            Assert.InRange(heldOut.WeightedShare!.Value, 0, 1 + 1e-6);
            Assert.Equal(16L * spec.Rank, second.IndependentRows);
            Assert.NotNull(second.EnergyDistanceToPrevious);

            // The null's N is T·r (an adapter's m rows span r dimensions): the random fleet is flagged, the planted one not.
            Assert.Equal(structure == FleetStructure.Random, second.WithinNoise);
            versions.Add(second);
        }

        // The surfaces: the run/status table's column and the basis file's metadata.
        var rows = versions[0];
        Assert.Equal($"{rows.HeldOut!.MeanShare!.Value.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)} (8)", LayerTableRenderer.HeldOutText(rows));
        var metadata = BasisFileWriter.Metadata(rows);
        Assert.Equal("8", metadata["heldout_models"]);
        Assert.Equal(rows.HeldOut.MeanShare.Value, double.Parse(metadata["heldout_capture"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((16L * spec.Rank).ToString(System.Globalization.CultureInfo.InvariantCulture), metadata["independent_rows"]);
    }
}

using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Compression;
using Xunit;

namespace OrleansUws.Subspace.Tests;

/// <summary>On a planted fleet the coefficients keep everything but the planted noise; on a random fleet the null warning fires.</summary>
public sealed class PlantedFleetTests
{
    [Theory]
    [InlineData(CoefficientForm.Columns, BasisMode.Columns)]
    [InlineData(CoefficientForm.Rows, BasisMode.Rows)]
    public void ReconstructionErrorIsThePlantedNoiseAndFarBelowTheMeanBaseline(CoefficientForm form, BasisMode mode)
    {
        using var fleet = TestFleet.TinyLora(models: 40, noise: 0.05);
        var fitted = fleet.Fit(3, centred: false, modes: [mode]);
        var truth = GroundTruth(fleet, mode);
        var compressor = new SubspaceCompressor(TestFleet.Backend);
        var options = new CompressOptions(form);

        var withFitted = compressor.Compress(fleet.Models, fitted, options);
        var withTruth = compressor.Compress(fleet.Models, truth, options);

        foreach (var layer in fleet.LayerIds)
        {
            double fittedError = Mean(withFitted, layer, r => r.RelativeError);
            double plantedNoise = Mean(withTruth, layer, r => r.RelativeError);
            double baseline = Mean(withFitted, layer, r => r.MeanBaselineError!.Value);
            Assert.True(Math.Abs(fittedError - plantedNoise) <= 0.1 * plantedNoise,
                $"{layer}: error {fittedError:G4} with the fitted basis, {plantedNoise:G4} with the planted one");
            Assert.True(plantedNoise > 0.005, $"{layer}: the planted noise {plantedNoise:G4} should be visible");
            Assert.True(fittedError < 0.25 * baseline, $"{layer}: error {fittedError:G4}, mean-only baseline {baseline:G4}");
        }
    }

    [Theory]
    [InlineData(BasisMode.Rows)]
    [InlineData(BasisMode.Columns)]
    public void NullWarningFiresOnARandomFleetAndNotOnAPlantedOne(BasisMode mode)
    {
        using var planted = TestFleet.TinyLora(models: 40);
        using var random = TestFleet.TinyLora(models: 40, structure: FleetStructure.Random);

        foreach (var basis in planted.Fit(3, centred: false, modes: [mode]).All)
        {
            var d = basis.Diagnostics!;
            Assert.False(d.WithinNoise, $"planted {basis.Header.Layer}: {d}");
            Assert.Equal(3, d.DirectionsAboveEdge);
        }

        foreach (var basis in random.Fit(3, centred: false, modes: [mode]).All)
        {
            var d = basis.Diagnostics!;
            Assert.True(d.WithinNoise, $"random {basis.Header.Layer}: {d}");
        }
    }

    private static double Mean(CompressionRun run, string layer, Func<LayerCompressionReport, double> figure) =>
        run.Models.Average(m => figure(m.Layers.Single(l => l.Layer == layer)));

    // The planted basis of every layer from the fleet's ground truth, as an (uncentred) basis set.
    private static BasisSet GroundTruth(TestFleet fleet, BasisMode mode)
    {
        using var file = SafetensorsFile.Open(Path.Combine(fleet.Folder, GroundTruthKeys.FileName));
        return new BasisSet(fleet.Spec.Layers.Select(layer =>
        {
            var name = mode == BasisMode.Rows ? GroundTruthKeys.RowsBasis(layer.LayerId) : GroundTruthKeys.ColumnsBasis(layer.LayerId);
            var info = file.GetTensor(name);
            var vectors = new float[info.ElementCount];
            file.ReadTensor(name, vectors);
            var spectrum = new float[info.Rows];
            file.ReadTensor(GroundTruthKeys.Spectrum(layer.LayerId), spectrum);
            var header = new BasisFileHeader(TestFleet.FleetName, layer.LayerId, mode, false, (int)info.Rows, 1, fleet.Models.Count, 0);
            return new LayerBasisFile(header, (int)info.Columns, vectors, spectrum.Select(s => (double)s).ToArray(), null);
        }).ToArray());
    }
}

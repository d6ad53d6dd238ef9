using System.Globalization;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Jobs;
using OrleansUws.Coordinator.Output;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Numerics.Metrics;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws run</c> end to end on a tiny planted fleet in an embedded silo: files and their contents.</summary>
public sealed class RunCommandTests
{
    private const int Models = 12;

    [Fact]
    public async Task Run_writes_bases_csv_and_png_that_agree_with_each_other_and_the_planted_truth()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("out");
        var spec = FleetPresets.Create("tiny", Models, 1);

        var run = await CliHarness.InvokeAsync(
            "run", "--preset", "tiny", "--models", Models.ToString(CultureInfo.InvariantCulture), "--layers", "1",
            "--k", spec.SubspaceDimension.ToString(CultureInfo.InvariantCulture), "--version-every", "4", "--seed", "3", "--out", output);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());

        // CSV: one row per version; --version-every 4 gives versions at T = 4, 8, 12 for every layer.
        var rows = File.ReadAllLines(Path.Combine(output, RunJob.ConvergenceCsv));
        Assert.Equal(ConvergenceCsvWriter.Header, rows[0]);
        var versions = rows.Skip(1).Select(r => r.Split(',')).GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(spec.Layers.Select(l => l.LayerId).Order(StringComparer.Ordinal), versions.Keys.Order(StringComparer.Ordinal));
        foreach (var (layer, layerRows) in versions)
        {
            Assert.Equal(["1", "2", "3"], layerRows.Select(f => f[3]));
            Assert.Equal(["4", "8", "12"], layerRows.Select(f => f[4]));
            Assert.Equal(string.Empty, layerRows[0][10]); // version 1 has no previous version
            Assert.All(layerRows.Skip(1), f => Assert.InRange(double.Parse(f[10], CultureInfo.InvariantCulture), 0, 1));
        }

        // Bases: one file per layer, k × d with the final version's metadata, close to the planted subspace.
        using var truth = SafetensorsFile.Open(Path.Combine(output, RunJob.GeneratedFleetFolder, "ground-truth.safetensors"));
        foreach (var layer in spec.Layers)
        {
            using var file = SafetensorsFile.Open(Path.Combine(output, RunJob.BasesFolder, BasisFileWriter.FileName(layer.LayerId, Grains.Interfaces.SketchMode.Rows)));
            var basis = file.GetTensor(BasisFileWriter.BasisTensor);
            Assert.Equal([spec.SubspaceDimension, layer.InFeatures], basis.Shape);
            Assert.Equal([spec.SubspaceDimension], file.GetTensor(BasisFileWriter.SingularValuesTensor).Shape);
            Assert.Equal(layer.LayerId, file.Metadata["layer"]);
            Assert.Equal("rows", file.Metadata["mode"]);
            Assert.Equal("false", file.Metadata["centred"]);
            Assert.Equal(Models.ToString(CultureInfo.InvariantCulture), file.Metadata["T"]);
            Assert.Equal("3", file.Metadata["version"]);
            Assert.Equal(spec.SubspaceDimension.ToString(CultureInfo.InvariantCulture), file.Metadata["k"]);
            var vectors = new float[basis.ElementCount];
            file.ReadTensor(BasisFileWriter.BasisTensor, vectors);
            var planted = truth.GetTensor($"{layer.LayerId}.rows_basis");
            var plantedVectors = new float[planted.ElementCount];
            truth.ReadTensor(planted.Name, plantedVectors);
            var sinTheta = SubspaceMetrics.SinThetaMax(vectors, spec.SubspaceDimension, plantedVectors, (int)planted.Rows, layer.InFeatures);
            Assert.True(sinTheta < 0.05, $"{layer.LayerId}: sin θ to the planted subspace {sinTheta}");
        }

        // Plot: a PNG.
        var png = File.ReadAllBytes(Path.Combine(output, RunJob.ConvergencePng));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png.AsSpan(0, 4).ToArray());

        // Table: every layer with its T and a sin θ to the planted truth.
        foreach (var layer in spec.Layers)
        {
            Assert.Contains(layer.LayerId, run.Output, StringComparison.Ordinal);
        }

        Assert.Contains($"{Models} absorbed, 0 rejected", run.Output, StringComparison.Ordinal);
    }
}

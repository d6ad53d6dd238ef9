using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Jobs;
using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Numerics.Metrics;
using Xunit;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>
/// <c>uws run --fleet</c> on the broken corpus (embedded silo, default settings: the architecture is agreed from the
/// models' headers): exit code <see cref="ExitCodes.ModelsNotAbsorbed"/>, every broken model and skipped path named
/// with why, and the written bases equal to a run of the good models alone.
/// </summary>
public sealed class BrokenCorpusCommandTests
{
    [Fact]
    public async Task Run_on_a_corpus_with_broken_models_exits_3_names_each_and_writes_the_bases_of_the_good_ones()
    {
        using var folder = new TempFolder();
        var corpus = BrokenCorpus.Create(folder.Combine("fleets"), seed: 62);

        var broken = await CliHarness.InvokeAsync("run", "--fleet", corpus.Folder, "--k", "3", "--version-every", "0", "--out", folder.Combine("broken"));
        var clean = await CliHarness.InvokeAsync("run", "--fleet", corpus.GoodFolder, "--k", "3", "--version-every", "0", "--out", folder.Combine("clean"));

        Assert.True(broken.ExitCode == ExitCodes.ModelsNotAbsorbed, broken.ToString());
        Assert.True(clean.ExitCode == ExitCodes.Success, clean.ToString());
        var lines = broken.Output.Split('\n').Select(l => l.Trim()).ToArray();
        foreach (var id in corpus.BrokenIds.Where(id => id != "no-config"))
        {
            var verb = id == "zz-huge-outlier" ? "quarantined" : "rejected";
            Assert.Single(lines, l => l.StartsWith($"{verb} {id}: ", StringComparison.Ordinal));
        }

        Assert.Single(lines, l => l.StartsWith($"skipped {Path.Combine(corpus.Folder, "no-config")}: folder without adapter_config.json", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith($"skipped {Path.Combine(corpus.Folder, "not-a-model.safetensors")}: a folder named like a .safetensors file", StringComparison.Ordinal));
        Assert.Contains($"{BrokenCorpus.GoodCount} absorbed, 8 not absorbed", broken.Output, StringComparison.Ordinal);

        foreach (var layer in corpus.LayerIds)
        {
            var name = BasisFileWriter.FileName(layer, SketchMode.Rows);
            var (a, k, d) = ReadBasis(folder.Combine("broken", RunJob.BasesFolder, name));
            var (b, kb, _) = ReadBasis(folder.Combine("clean", RunJob.BasesFolder, name));
            Assert.Equal(kb, k);
            var sinTheta = SubspaceMetrics.SinThetaMax(a, k, b, k, d);
            Assert.True(sinTheta <= 1e-6, $"{layer}: sin θ = {sinTheta:E2}");
        }
    }

    private static (float[] Vectors, int K, int D) ReadBasis(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var tensor = file.GetTensor(BasisFileWriter.BasisTensor);
        var vectors = new float[tensor.ElementCount];
        file.ReadTensor(BasisFileWriter.BasisTensor, vectors);
        return (vectors, (int)tensor.Shape[0], (int)tensor.Shape[1]);
    }
}

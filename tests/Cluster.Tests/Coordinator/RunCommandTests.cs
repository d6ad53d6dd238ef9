using System.Globalization;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Jobs;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Verbs;
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

            // Held-out capture: models absorbed once a version existed (up to 8 of 12) were measured first; planted, so ≈ 1.
            Assert.InRange(int.Parse(file.Metadata["heldout_models"], CultureInfo.InvariantCulture), 1, Models - 4);
            Assert.InRange(double.Parse(file.Metadata["heldout_capture"], CultureInfo.InvariantCulture), 0.95, 1);
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

        Assert.Contains($"{Models} absorbed, 0 not absorbed", run.Output, StringComparison.Ordinal);
        Assert.Contains("held-out", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_without_layers_generates_every_layer_of_a_preset_smaller_than_the_default()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("out");

        var run = await CliHarness.InvokeAsync("run", "--preset", "tiny", "--models", "6", "--version-every", "3", "--out", output);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var expected = FleetPresets.Create("tiny", 6).Layers.Select(l => l.LayerId).Order(StringComparer.Ordinal);
        var written = File.ReadAllLines(Path.Combine(output, RunJob.ConvergenceCsv)).Skip(1).Select(r => r.Split(',')[0]).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, written);
        Assert.Equal(2 * 2, written.Count());
        Assert.Contains("6 absorbed, 0 not absorbed", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_against_a_running_cluster_continue_its_fleet_and_one_with_other_settings_is_refused_naming_them()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var generated = folder.Combine("generated");
        await ApiServer.GenerateFleetAsync(generated, 8);

        // Two folders of four models each, sent by two runs to one cluster (a `uws serve` process's silo).
        var batches = new[] { folder.Combine("first"), folder.Combine("second") };
        var models = Directory.GetDirectories(generated, "model-*").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(8, models.Length);
        for (int i = 0; i < models.Length; i++)
        {
            Directory.CreateDirectory(batches[i / 4]);
            Directory.Move(models[i], Path.Combine(batches[i / 4], Path.GetFileName(models[i])));
        }

        var options = new ServeOptions { Urls = "http://127.0.0.1:0", UploadFolder = folder.Combine("uploads"), SiloPort = FreePort.Next(), GatewayPort = FreePort.Next() };
        await using var app = ServeCommand.Build(options, new ClusterConnectionOptions());
        await app.StartAsync(cancel);
        var gateway = $"127.0.0.1:{options.GatewayPort}";
        for (int b = 0; b < batches.Length; b++)
        {
            var run = await CliHarness.InvokeAsync("run", "--gateway", gateway, "--fleet", batches[b], "--version-every", "2", "--out", folder.Combine($"out{b}"));
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
            Assert.Contains("4 absorbed, 0 not absorbed", run.Output, StringComparison.Ordinal);
        }

        // The second run's versions follow the first's: T = 2, 4, then 6, 8 for every layer.
        var rows = File.ReadAllLines(Path.Combine(folder.Combine("out1"), RunJob.ConvergenceCsv)).Skip(1).Select(r => r.Split(',')).ToArray();
        Assert.Equal(FleetPresets.Create("tiny", 8, 1).Layers.Count, rows.Select(f => f[0]).Distinct().Count());
        Assert.All(rows.GroupBy(f => f[0]), layer => Assert.Equal(["2", "4", "6", "8"], layer.Select(f => f[4])));

        var other = await CliHarness.InvokeAsync("run", "--gateway", gateway, "--fleet", batches[1], "--tau", "0.8", "--out", folder.Combine("out2"));
        Assert.Equal(ExitCodes.Usage, other.ExitCode);
        var error = Assert.Single(other.ErrorLines);
        Assert.Contains("Fleet 'default' already has 8 models; its configuration can no longer change (Basis.EnergyThreshold: 0.99 vs 0.8).", error, StringComparison.Ordinal);
        Assert.Contains("give another --fleet-id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flattened_run_that_cannot_fit_the_embedded_process_is_refused_before_generating()
    {
        using var folder = new TempFolder();
        var output = folder.Combine("out");

        // 32 Mistral decoder layers: 64 projections of 4096×4096 (q, o) and 64 of 1024×4096 (k, v, grouped-query attention)
        // at the default ℓ = 64: ≥ (64·4096² + 64·1024·4096) · (16·64 + 8) bytes = 1290.0 GiB — more than any machine this runs on.
        var run = await CliHarness.InvokeAsync("run", "--mode", "flattened", "--models", "4", "--layers", "32", "--out", output);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.True(run.Error.Contains("--mode flattened: the column slices of 128 layer(s) (largest 4096×4096) at ℓ = 64 need at least 1290.0 GiB", StringComparison.Ordinal), run.ToString());
        Assert.False(Directory.Exists(Path.Combine(output, RunJob.GeneratedFleetFolder)), "nothing may be generated before the check");
    }

    [Fact]
    public void Flattened_memory_estimate_counts_both_buffers_and_the_running_sums()
    {
        // 4096×4096 at ℓ = 64: 4096² · (16·64 + 8) = 17,314,086,912 bytes per layer.
        Assert.Equal(17_314_086_912L, FlattenedMemoryCheck.EstimateBytes([(4096, 4096)], 64));
        FlattenedMemoryCheck.ThrowIfTooLarge([(4096, 4096)], 64, availableBytes: 24L << 30);   // fits in 24 GiB with headroom
        var refused = Assert.Throws<UsageException>(() => FlattenedMemoryCheck.ThrowIfTooLarge([(4096, 4096), (1024, 4096)], 64, availableBytes: 16L << 30));
        Assert.Contains("2 layer(s) (largest 4096×4096) at ℓ = 64 need at least 20.2 GiB", refused.Message, StringComparison.Ordinal);
        Assert.Contains("16.0 GiB is available", refused.Message, StringComparison.Ordinal);
    }
}

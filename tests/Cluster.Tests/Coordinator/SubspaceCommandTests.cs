using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Verbs;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Fitting;
using OrleansUws.Subspace.Updates;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws compress</c> → <c>uws reconstruct</c> through the command line on a tiny generated fleet.</summary>
public sealed class SubspaceCommandTests
{
    [Fact]
    public async Task Compress_then_reconstruct_writes_adapters_holding_the_projected_updates()
    {
        using var folder = new TempFolder();
        var fleet = folder.Combine("fleet");
        await ApiServer.GenerateFleetAsync(fleet, 8);
        var models = ModelReader.EnumerateModels(fleet);
        var bases = folder.Combine("bases");
        WriteColumnsBases(models, bases, version: 2);

        var compress = await CliHarness.InvokeAsync("compress", fleet, "--bases", bases, "--form", "columns", "--k", "3", "--out", folder.Combine("coefficients"));
        Assert.True(compress.ExitCode == ExitCodes.Success, compress.ToString());
        Assert.Contains("layers.0.self_attn.q_proj", compress.Output, StringComparison.Ordinal);
        // 8 × 1088 B of bf16 factors against 2 × 3×m float32 bases (864 B) + 8 × 2 × 3×32 float32 coefficients (6144 B).
        Assert.Contains("fleet of 8: bases 864 B once + coefficients 6 KiB against 8.5 KiB as stored (analysed layers): ratio 1.24×", compress.Output, StringComparison.Ordinal);
        Assert.Equal(8, Directory.GetFiles(folder.Combine("coefficients"), "*.coefficients.safetensors").Length);

        var reconstruct = await CliHarness.InvokeAsync("reconstruct", folder.Combine("coefficients"), "--bases", bases, "--out", folder.Combine("adapters"));
        Assert.True(reconstruct.ExitCode == ExitCodes.Success, reconstruct.ToString());

        // Each adapter holds U·Uᵀ·ΔW of its model (uncentred columns basis, k = 3), read back by the project's PEFT reader.
        var basisSet = BasisSet.Load(bases);
        var backend = new ManagedBlasBackend();
        foreach (var model in models)
        {
            using var original = ModelReader.Open(model);
            using var rebuilt = ModelReader.Open(Path.Combine(folder.Combine("adapters"), Path.GetFileName(model)));
            foreach (var layer in original.Layers)
            {
                var u = basisSet.Get(layer.LayerId, BasisMode.Columns).Vectors; // 3×m
                var delta = UpdateAlgebra.ToDense(LayerUpdates.Read(original, layer.LayerId), backend);
                int m = layer.OutFeatures, n = layer.InFeatures;
                var projected = new float[m * n];
                var c = new float[3 * n];
                backend.Gemm(Transpose.No, Transpose.No, 3, n, m, 1f, u, m, delta, n, 0f, c, n);
                backend.Gemm(Transpose.Yes, Transpose.No, m, n, 3, 1f, u, m, c, n, 0f, projected, n);
                var read = new float[m * n];
                rebuilt.ReadRows(layer.LayerId, 0, m, read);
                float scale = projected.Max(Math.Abs);
                Assert.All(Enumerable.Range(0, read.Length), i => Assert.True(Math.Abs(read[i] - projected[i]) <= 1e-5f * scale, $"{model} {layer.LayerId}[{i}]"));
            }
        }

        // The same coefficients against bases of another version are refused, naming both versions.
        var newer = folder.Combine("bases-v3");
        WriteColumnsBases(models, newer, version: 3);
        var refused = await CliHarness.InvokeAsync("reconstruct", folder.Combine("coefficients"), "--bases", newer, "--out", folder.Combine("refused"));
        Assert.Equal(ExitCodes.Failure, refused.ExitCode);
        Assert.Contains("coefficients were computed against columns basis version 2", refused.Error, StringComparison.Ordinal);
        Assert.Contains("is version 3", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_takes_every_model_given_even_two_of_one_name_and_compress_says_which_it_skipped()
    {
        using var folder = new TempFolder();
        var fleet = folder.Combine("fleet");
        await ApiServer.GenerateFleetAsync(fleet, 2, seed: 9);
        var models = ModelReader.EnumerateModels(fleet);

        // The same checkpoint name in two training runs' folders.
        var first = Path.Combine(folder.Combine("run-a"), "checkpoint-500");
        var second = Path.Combine(folder.Combine("run-b"), "checkpoint-500");
        CopyFolder(models[0], first);
        CopyFolder(models[1], second);

        var sameName = await CliHarness.InvokeAsync("merge", first, second, "--method", "mean", "--out", folder.Combine("merged-same-name"));
        var distinct = await CliHarness.InvokeAsync("merge", models[0], models[1], "--method", "mean", "--out", folder.Combine("merged"));

        Assert.True(sameName.ExitCode == ExitCodes.Success, sameName.ToString());
        Assert.Contains("merged 2 models (mean)", sameName.Output, StringComparison.Ordinal);
        Assert.True(distinct.ExitCode == ExitCodes.Success, distinct.ToString());
        var backend = new ManagedBlasBackend();
        using (var a = ModelReader.Open(folder.Combine("merged-same-name")))
        using (var b = ModelReader.Open(folder.Combine("merged")))
        {
            foreach (var layer in b.Layers)
            {
                Assert.Equal(
                    UpdateAlgebra.ToDense(LayerUpdates.Read(b, layer.LayerId), backend),
                    UpdateAlgebra.ToDense(LayerUpdates.Read(a, layer.LayerId), backend));
            }
        }

        // Coefficient files are named by model id: the second checkpoint-500 is skipped, and the command says so.
        var bases = folder.Combine("bases");
        WriteColumnsBases(models, bases, version: 1);
        var compress = await CliHarness.InvokeAsync("compress", first, second, "--bases", bases, "--out", folder.Combine("coefficients"));

        Assert.True(compress.ExitCode == ExitCodes.Success, compress.ToString());
        var skipped = compress.Output.Replace(Environment.NewLine, string.Empty, StringComparison.Ordinal); // the console wraps long lines
        Assert.Contains($"skipped {second}: same model id 'checkpoint-500' as {first}", skipped, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(folder.Combine("coefficients"), "*.coefficients.safetensors"));
    }

    [Fact]
    public async Task Bases_cluster_fetches_the_current_bases_from_a_running_cluster()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var fleet = folder.Combine("fleet");
        Assert.Equal(ExitCodes.Success, (await CliHarness.InvokeAsync("fleet", "generate", "--out", fleet, "--preset", "tiny", "--models", "4", "--layers", "1")).ExitCode);
        var options = new ServeOptions { Urls = "http://127.0.0.1:0", UploadFolder = folder.Combine("uploads"), SiloPort = FreePort.Next(), GatewayPort = FreePort.Next() };
        await using var app = ServeCommand.Build(options, new ClusterConnectionOptions());
        await app.StartAsync(cancel);
        var gateway = $"127.0.0.1:{options.GatewayPort}";
        Assert.Equal(ExitCodes.Success, (await CliHarness.InvokeAsync("ingest", fleet, "--gateway", gateway)).ExitCode);
        var export = await CliHarness.InvokeAsync("basis", "export", "--layer", "layers.0.self_attn.q_proj", "--compute", "--gateway", gateway, "--out", folder.Combine("q.safetensors"));
        Assert.True(export.ExitCode == ExitCodes.Success, export.ToString());

        var compress = await CliHarness.InvokeAsync("compress", fleet, "--bases", "cluster", "--gateway", gateway, "--form", "rows", "--out", folder.Combine("c"));

        // Only q_proj has a version: it alone is compressed, against the version the export wrote.
        Assert.True(compress.ExitCode == ExitCodes.Success, compress.ToString());
        var coefficients = CoefficientFile.Read(Path.Combine(folder.Combine("c"), "model-00000.coefficients.safetensors"));
        var layer = Assert.Single(coefficients.Layers);
        Assert.Equal("layers.0.self_attn.q_proj", layer.Layer);
        Assert.Equal(BasisFile.Read(folder.Combine("q.safetensors")).Header.Version, Assert.Single(layer.Bases).Version);
    }

    [Fact]
    public async Task Bases_cluster_without_a_gateway_is_refused()
    {
        using var folder = new TempFolder();
        var run = await CliHarness.InvokeAsync("compress", folder.Path, "--bases", "cluster", "--out", folder.Combine("c"));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(["uws: --bases cluster needs --gateway or --redis: an embedded cluster starts empty"], run.ErrorLines);
    }

    [Fact]
    public async Task Bad_options_are_all_named_at_once()
    {
        var run = await CliHarness.InvokeAsync("compress", "somewhere", "--bases", "no-such-folder", "--form", "diagonal", "--k", "0", "--out", "x");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(
            ["uws: --bases: directory 'no-such-folder' does not exist", "uws: --form must be one of rows, columns, two-sided, flattened (got 'diagonal')", "uws: --k must be at least 1 (got 0)"],
            run.ErrorLines);
    }

    private static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    private static void WriteColumnsBases(IReadOnlyList<string> models, string folder, int version)
    {
        var fitter = new ExactBasisFitter(new ManagedBlasBackend());
        using var first = ModelReader.Open(models[0]);
        foreach (var layer in first.Layers)
        {
            var updates = models.Select(path =>
            {
                using var reader = ModelReader.Open(path);
                return LayerUpdates.Read(reader, layer.LayerId);
            }).ToArray();
            var basis = fitter.Fit("cli-fleet", layer.LayerId, updates, BasisMode.Columns, centred: false, k: 3, version);
            BasisFile.Write(Path.Combine(folder, BasisFile.FileName(layer.LayerId, BasisMode.Columns)), basis);
        }
    }
}

using Microsoft.Extensions.Options;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class FleetGeneratorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Generate(FleetSpec spec, string name)
    {
        string folder = _temp.File(name);
        new FleetGenerator(spec).Generate(folder, cancellationToken: TestContext.Current.CancellationToken);
        return folder;
    }

    private static float[] Read(ITensorSource source, string name)
    {
        var values = new float[source.GetTensor(name).ElementCount];
        source.ReadTensor(name, values);
        return values;
    }

    // ‖X Pᵀ‖²_F / ‖X‖²_F for X (rows × n) and P (k × n) with orthonormal rows: the share of X's energy inside span(P).
    private static double CapturedShare(float[] x, int rows, float[] basis, int k, int n)
    {
        double inside = 0, total = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double dot = 0;
                for (int c = 0; c < n; c++)
                {
                    dot += (double)x[i * n + c] * basis[j * n + c];
                }

                inside += dot * dot;
            }

            for (int c = 0; c < n; c++)
            {
                total += (double)x[i * n + c] * x[i * n + c];
            }
        }

        return inside / total;
    }

    private static float[] Transpose(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                t[j * rows + i] = x[i * cols + j];
            }
        }

        return t;
    }

    [Theory]
    [InlineData(FleetPresets.Mistral7BLora, 32, 4)]
    [InlineData(FleetPresets.VitB16, 12, 6)]
    [InlineData(FleetPresets.Tiny, 2, 2)]
    [InlineData(FleetPresets.TinyDense, 2, 3)]
    public void A_preset_has_its_block_count_of_layers_and_refuses_more_naming_itself(string preset, int blocks, int projectionsPerBlock)
    {
        Assert.Equal(blocks, FleetPresets.BlockCount(preset));
        Assert.Equal(blocks * projectionsPerBlock, FleetPresets.Create(preset, 1).Layers.Count);
        Assert.Equal(projectionsPerBlock, FleetPresets.Create(preset, 1, layerCount: 1).Layers.Count);

        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => FleetPresets.Create(preset, 1, blocks + 1));
        Assert.StartsWith($"Preset '{preset}' has {blocks} layers; {blocks + 1} were asked for.", tooMany.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetPresets.Create(preset, 1, 0));
        Assert.Contains("'no-such-preset'", Assert.Throws<ArgumentException>(() => FleetPresets.BlockCount("no-such-preset")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelContentDependsOnlyOnSeedAndIndexNotOnCountOrParallelism()
    {
        FleetSpec spec = FleetPresets.Create(FleetPresets.Tiny, 3) with { Seed = 11, MaxDegreeOfParallelism = 1 };
        string three = Generate(spec, "three");
        string five = Generate(spec with { ModelCount = 5, MaxDegreeOfParallelism = 2 }, "five");
        string otherSeed = Generate(spec with { Seed = 12 }, "other");
        for (int i = 0; i < 3; i++)
        {
            string file = Path.Combine(FleetGenerator.ModelName(FleetKind.LoraAdapters, i), "adapter_model.safetensors");
            Assert.Equal(File.ReadAllBytes(Path.Combine(three, file)), File.ReadAllBytes(Path.Combine(five, file)));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(three, file)), File.ReadAllBytes(Path.Combine(otherSeed, file)));
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(three, GroundTruthKeys.FileName)), File.ReadAllBytes(Path.Combine(five, GroundTruthKeys.FileName)));
        Assert.Equal(5, ModelReader.EnumerateModels(five).Count);
    }

    [Fact]
    public void GeneratedAdaptersAreValidPeftFoldersSharingOneArchitecture()
    {
        string folder = Generate(FleetPresets.Create(FleetPresets.Tiny, 4), "fleet");
        FleetManifest manifest = FleetManifest.Load(folder);
        Assert.Equal((FleetPresets.Tiny, 4, 4, 8.0, 2.0, "BF16"), (manifest.Preset, manifest.ModelCount, manifest.Rank, manifest.LoraAlpha, manifest.Scaling, manifest.DType));
        Assert.Equal(GroundTruthKeys.FileName, manifest.GroundTruth);

        IReadOnlyList<string> models = ModelReader.EnumerateModels(folder);
        Assert.Equal(manifest.Models.Select(m => Path.Combine(folder, m)), models);
        using IModelReader first = ModelReader.Open(models[0]);
        Assert.Equal(
            ["layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj", "layers.1.self_attn.q_proj", "layers.1.self_attn.v_proj"],
            first.Layers.Select(l => l.LayerId));
        Assert.Equal(new LayerInfo("layers.1.self_attn.v_proj", 24, 32, 4, false), first.GetLayer("layers.1.self_attn.v_proj"));
        foreach (string model in models)
        {
            using IModelReader reader = ModelReader.Open(model);
            first.Architecture.EnsureCompatible(reader.Architecture, model);
            Assert.Equal(2.0, reader.ReadLoraFactors("layers.0.self_attn.q_proj", new float[4 * 32], new float[48 * 4]));
        }
    }

    [Fact]
    public void NoiselessAdaptersHaveRowsInThePlantedRowBasisAndColumnsInThePlantedColumnBasis()
    {
        FleetSpec spec = FleetPresets.Create(FleetPresets.Tiny, 3) with { NoiseLevel = 0, DType = TensorDType.F32 };
        string folder = Generate(spec, "exact");
        using SafetensorsFile truth = SafetensorsFile.Open(Path.Combine(folder, GroundTruthKeys.FileName));
        foreach (string model in ModelReader.EnumerateModels(folder))
        {
            using IModelReader reader = ModelReader.Open(model);
            foreach (LayerInfo layer in reader.Layers)
            {
                (int m, int n, int r, int k) = (layer.OutFeatures, layer.InFeatures, layer.Rank, 3);
                var a = new float[r * n];
                var b = new float[m * r];
                reader.ReadLoraFactors(layer.LayerId, a, b);
                Assert.Equal(1.0, CapturedShare(a, r, Read(truth, GroundTruthKeys.RowsBasis(layer.LayerId)), k, n), 5);
                Assert.Equal(1.0, CapturedShare(Transpose(b, m, r), r, Read(truth, GroundTruthKeys.ColumnsBasis(layer.LayerId)), k, m), 5);

                // ΔW = s·B·A itself: its rows lie in span(V) as well.
                var delta = new float[m * n];
                reader.ReadRows(layer.LayerId, 0, m, delta);
                Assert.Equal(1.0, CapturedShare(delta, m, Read(truth, GroundTruthKeys.RowsBasis(layer.LayerId)), k, n), 5);
            }
        }
    }

    [Fact]
    public void PlantedBasesAreOrthonormalAndTheSpectrumIsRecorded()
    {
        FleetSpec spec = FleetPresets.Create(FleetPresets.Tiny, 1) with { Spectrum = [3, 2, 1] };
        string folder = Generate(spec, "bases");
        using SafetensorsFile truth = SafetensorsFile.Open(Path.Combine(folder, GroundTruthKeys.FileName));
        Assert.Equal("2", truth.Metadata["uws.scaling"]);
        Assert.Equal([3f, 2f, 1f], Read(truth, GroundTruthKeys.Spectrum("layers.0.self_attn.q_proj")));
        float[] v = Read(truth, GroundTruthKeys.RowsBasis("layers.0.self_attn.q_proj"));
        Assert.Equal([3L, 32L], truth.GetTensor(GroundTruthKeys.RowsBasis("layers.0.self_attn.q_proj")).Shape);
        Assert.Equal([3L, 48L], truth.GetTensor(GroundTruthKeys.ColumnsBasis("layers.0.self_attn.q_proj")).Shape);
        Assert.Equal([4L, 32L], truth.GetTensor(GroundTruthKeys.MeanA("layers.0.self_attn.q_proj")).Shape);
        Assert.Equal([48L, 4L], truth.GetTensor(GroundTruthKeys.MeanB("layers.0.self_attn.q_proj")).Shape);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                double dot = Enumerable.Range(0, 32).Sum(c => (double)v[i * 32 + c] * v[j * 32 + c]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
        }
    }

    [Fact]
    public void FleetGramConcentratesInThePlantedDirectionsWithThePlantedSpectrum()
    {
        // 200 noisy adapters: Σ_t A_tᵀA_t restricted to V is ≈ T·r·diag(σ² + mean²), and V captures ≈ all of it.
        const int models = 200;
        FleetSpec spec = FleetPresets.Create(FleetPresets.Tiny, models, layerCount: 1) with { Spectrum = [1.0, 0.5, 0.25], MeanStrength = 0, NoiseLevel = 0.05 };
        string folder = Generate(spec, "gram");
        using SafetensorsFile truth = SafetensorsFile.Open(Path.Combine(folder, GroundTruthKeys.FileName));
        const string id = "layers.0.self_attn.q_proj";
        float[] v = Read(truth, GroundTruthKeys.RowsBasis(id));
        var energy = new double[3];
        double total = 0;
        foreach (string model in ModelReader.EnumerateModels(folder))
        {
            using IModelReader reader = ModelReader.Open(model);
            var a = new float[4 * 32];
            reader.ReadLoraFactors(id, a, new float[48 * 4]);
            for (int row = 0; row < 4; row++)
            {
                for (int j = 0; j < 3; j++)
                {
                    double dot = Enumerable.Range(0, 32).Sum(c => (double)a[row * 32 + c] * v[j * 32 + c]);
                    energy[j] += dot * dot;
                }

                total += Enumerable.Range(0, 32).Sum(c => (double)a[row * 32 + c] * a[row * 32 + c]);
            }
        }

        double expectedShare = (1 + 0.25 + 0.0625) / (1 + 0.25 + 0.0625 + 0.05 * 0.05);
        Assert.InRange(energy.Sum() / total, expectedShare - 0.002, expectedShare + 0.002);
        // Per direction: T·r·σ_j² = 800·σ_j², within sampling error (χ² with 800 degrees of freedom: ±10 %).
        Assert.InRange(energy[0] / 800, 0.9, 1.1);
        Assert.InRange(energy[1] / 800, 0.25 * 0.9, 0.25 * 1.1);
        Assert.InRange(energy[2] / 800, 0.0625 * 0.9, 0.0625 * 1.1);
    }

    [Fact]
    public void NoiselessCheckpointsAreTheMeanPlusARankKPartInBothBases()
    {
        FleetSpec spec = FleetPresets.Create(FleetPresets.TinyDense, 2, layerCount: 1) with { NoiseLevel = 0 };
        string folder = Generate(spec, "dense");
        using SafetensorsFile truth = SafetensorsFile.Open(Path.Combine(folder, GroundTruthKeys.FileName));
        foreach (string model in ModelReader.EnumerateModels(folder))
        {
            using IModelReader reader = ModelReader.Open(model);
            Assert.Equal(ModelKind.DenseCheckpoint, reader.Kind);
            foreach (LayerInfo layer in reader.Layers)
            {
                (int m, int n) = (layer.OutFeatures, layer.InFeatures);
                var w = new float[m * n];
                reader.ReadRows(layer.LayerId, 0, m, w);
                float[] mean = Read(truth, GroundTruthKeys.Mean(layer.LayerId));
                float[] centred = w.Select((x, i) => x - mean[i]).ToArray();
                Assert.Equal(1.0, CapturedShare(centred, m, Read(truth, GroundTruthKeys.RowsBasis(layer.LayerId)), 3, n), 5);
                Assert.Equal(1.0, CapturedShare(Transpose(centred, m, n), n, Read(truth, GroundTruthKeys.ColumnsBasis(layer.LayerId)), 3, m), 5);
                // M is a generic matrix: span(V) holds about k/n of its energy, not all of it.
                Assert.InRange(CapturedShare(mean, m, Read(truth, GroundTruthKeys.RowsBasis(layer.LayerId)), 3, n), 0.01, 0.3);
            }
        }
    }

    [Fact]
    public void RandomFleetsHaveNoGroundTruthAndUnitScaleEntries()
    {
        FleetSpec spec = FleetPresets.Create(FleetPresets.Tiny, 2) with { Structure = FleetStructure.Random, DType = TensorDType.F32 };
        string folder = Generate(spec, "random");
        Assert.False(File.Exists(Path.Combine(folder, GroundTruthKeys.FileName)));
        FleetManifest manifest = FleetManifest.Load(folder);
        Assert.Equal(FleetStructure.Random, manifest.Structure);
        Assert.Null(manifest.GroundTruth);
        using IModelReader reader = ModelReader.Open(ModelReader.EnumerateModels(folder)[0]);
        var a = new float[4 * 32];
        var b = new float[48 * 4];
        reader.ReadLoraFactors("layers.0.self_attn.q_proj", a, b);
        Assert.InRange(a.Average(x => (double)x * x) * 32, 0.7, 1.3); // entry variance 1/n
        Assert.InRange(b.Average(x => (double)x * x) * 48, 0.7, 1.3); // entry variance 1/m
    }

    [Fact]
    public void PresetShapesMatchTheRealArchitectures()
    {
        FleetSpec mistral = FleetPresets.Create(FleetPresets.Mistral7BLora, 500);
        Assert.Equal(128, mistral.Layers.Count);
        Assert.Equal((16, TensorDType.BF16, FleetKind.LoraAdapters), (mistral.Rank, mistral.DType, mistral.Kind));
        Assert.Equal(new FleetLayerSpec("model.layers.31.self_attn.k_proj", 1024, 4096), mistral.Layers[126 - 1]);
        Assert.Equal("layers.31.self_attn.o_proj", mistral.Layers[127].LayerId);

        FleetSpec vit = FleetPresets.Create(FleetPresets.VitB16, 10);
        Assert.Equal(72, vit.Layers.Count);
        Assert.Equal((FleetKind.DenseCheckpoints, TensorDType.F32), (vit.Kind, vit.DType));
        Assert.Equal(new FleetLayerSpec("encoder.layer.0.intermediate.dense", 3072, 768), vit.Layers[4]);
        Assert.Equal(new FleetLayerSpec("encoder.layer.0.output.dense", 768, 3072), vit.Layers[5]);

        Assert.Equal(4, FleetPresets.Create(FleetPresets.Mistral7BLora, 1, layerCount: 1).Layers.Count);
        Assert.Throws<ArgumentException>(() => FleetPresets.Create("llama", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FleetPresets.Create(FleetPresets.VitB16, 1, layerCount: 13));
    }

    [Fact]
    public void OneMistralShapedBlockGeneratesAndReadsBack()
    {
        string folder = Generate(FleetPresets.Create(FleetPresets.Mistral7BLora, 1, layerCount: 1), "mistral");
        using IModelReader reader = ModelReader.Open(ModelReader.EnumerateModels(folder)[0]);
        Assert.Equal(new LayerShape(4096, 4096), reader.Architecture.Layers["layers.0.self_attn.q_proj"]);
        Assert.Equal(new LayerShape(1024, 4096), reader.Architecture.Layers["layers.0.self_attn.v_proj"]);
        Assert.All(reader.Layers, l => Assert.Equal(16, l.Rank));
        var columns = new float[1024 * 8];
        reader.ReadColumns("layers.0.self_attn.k_proj", 100, 8, columns); // finite: the read checks
    }

    [Fact]
    public void InvalidSpecsReportEveryFailureAtOnce()
    {
        FleetSpec spec = FleetPresets.Create(FleetPresets.Tiny, 0) with { Rank = 40, NoiseLevel = -1, Spectrum = [1, 0], DType = TensorDType.I32 };
        var error = Assert.Throws<OptionsValidationException>(() => new FleetGenerator(spec));
        Assert.Contains("ModelCount: 0; at least 1 model is required.", error.Failures);
        Assert.Contains("Rank: 40 exceeds min(m, n) = 32 of layer 'layers.0.self_attn.q_proj'.", error.Failures);
        Assert.Contains("NoiseLevel: -1; it must be non-negative and finite.", error.Failures);
        Assert.Contains("Spectrum: 2 values for SubspaceDimension 3.", error.Failures);
        Assert.Contains("Spectrum: every value must be positive and finite.", error.Failures);
        Assert.Contains("DType: I32; use F32, F16, BF16 or F64.", error.Failures);
    }

    [Fact]
    public void NonEmptyOutputFolderIsRefusedAndLeftAlone()
    {
        string folder = _temp.File("busy");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "x");
        Assert.Throws<IOException>(() => new FleetGenerator(FleetPresets.Create(FleetPresets.Tiny, 1)).Generate(folder, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void ProgressCountsEveryModel()
    {
        var seen = new List<int>();
        var progress = new SynchronousProgress(seen);
        new FleetGenerator(FleetPresets.Create(FleetPresets.TinyDense, 6) with { MaxDegreeOfParallelism = 1 }).Generate(_temp.File("p"), progress, TestContext.Current.CancellationToken);
        Assert.Equal([1, 2, 3, 4, 5, 6], seen);
    }

    private sealed class SynchronousProgress(List<int> seen) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (seen)
            {
                seen.Add(value);
            }
        }
    }
}

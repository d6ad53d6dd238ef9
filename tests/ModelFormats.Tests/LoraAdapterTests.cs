using OrleansUws.ModelFormats.Peft;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class LoraAdapterTests : IDisposable
{
    private const string QA = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
    private const string QB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
    private const string VA = "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight";
    private const string VB = "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    // q: m=5, n=7, r=2; v: m=3, n=7, r=2.
    private string WriteValid(LoraAdapterConfig config) => AdapterFolder.Write(_temp.File("adapter"), config,
        (QA, [2, 7], AdapterFolder.Values(14, 1)), (QB, [5, 2], AdapterFolder.Values(10, 2)),
        (VA, [2, 7], AdapterFolder.Values(14, 3)), (VB, [3, 2], AdapterFolder.Values(6, 4)));

    [Fact]
    public void LayersShapesRanksAndFactorsAreRead()
    {
        using IModelReader model = ModelReader.Open(WriteValid(AdapterFolder.Config(alpha: 8)));
        Assert.Equal(ModelKind.LoraAdapter, model.Kind);
        Assert.Equal(["layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj"], model.Layers.Select(l => l.LayerId));
        Assert.Equal(new LayerInfo("layers.0.self_attn.q_proj", 5, 7, 2, false), model.GetLayer("layers.0.self_attn.q_proj"));
        Assert.Equal(new LayerShape(3, 7), model.Architecture.Layers["layers.0.self_attn.v_proj"]);

        var a = new float[14];
        var b = new float[10];
        double scaling = model.ReadLoraFactors("layers.0.self_attn.q_proj", a, b);
        Assert.Equal(4.0, scaling); // α/r = 8/2
        Assert.Equal(AdapterFolder.Values(14, 1), a);
        Assert.Equal(AdapterFolder.Values(10, 2), b);
    }

    [Fact]
    public void RsLoraScalesByAlphaOverRootRank()
    {
        using IModelReader model = ModelReader.Open(WriteValid(AdapterFolder.Config(alpha: 8, rsLora: true)));
        double scaling = model.ReadLoraFactors("layers.0.self_attn.v_proj", new float[14], new float[6]);
        Assert.Equal(8 / Math.Sqrt(2), scaling, 12);
    }

    [Fact]
    public void RowAndColumnBlocksOfDeltaWEqualScaledBTimesA()
    {
        using IModelReader model = ModelReader.Open(WriteValid(AdapterFolder.Config(alpha: 3)));
        float[] a = AdapterFolder.Values(14, 1), b = AdapterFolder.Values(10, 2);
        double s = 3 / 2.0;
        double Delta(int i, int j) => s * (b[i * 2] * a[j] + b[i * 2 + 1] * a[7 + j]);

        var rows = new float[2 * 7];
        model.ReadRows("layers.0.self_attn.q_proj", 3, 2, rows);
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 7; j++)
            {
                Assert.Equal(Delta(3 + i, j), rows[i * 7 + j], 5);
            }
        }

        var columns = new float[5 * 3];
        model.ReadColumns("layers.0.self_attn.q_proj", 4, 3, columns);
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(Delta(i, 4 + j), columns[i * 3 + j], 5);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => model.ReadRows("layers.0.self_attn.q_proj", 4, 2, new float[14]));
        Assert.Throws<ArgumentException>(() => model.ReadColumns("layers.0.self_attn.q_proj", 0, 2, new float[9]));
    }

    [Fact]
    public void MissingPartnerIsRejectedNamingTheLayer()
    {
        string folder = AdapterFolder.Write(_temp.File("a"), AdapterFolder.Config(),
            (QA, [2, 7], AdapterFolder.Values(14, 1)), (QB, [5, 2], AdapterFolder.Values(10, 2)), (VA, [2, 7], AdapterFolder.Values(14, 3)));
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(folder));
        Assert.Equal(VA, error.TensorName);
        Assert.EndsWith("adapter_model.safetensors", error.FilePath);
        Assert.Equal("layer 'layers.0.self_attn.v_proj' has lora_A but no lora_B partner", error.Reason);
    }

    [Theory]
    [InlineData("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", "a DoRA magnitude vector: a DoRA adapter rescales W + s·B·A by a learned magnitude")]
    [InlineData("base_model.model.model.layers.0.self_attn.q_proj.lora_E", "an AdaLoRA singular-value vector (lora_E): its update is B·diag(E)·A")]
    public void TensorsOfUpdatesThatAreNotBTimesAAreRejectedNamingTheTensor(string key, string reason)
    {
        string folder = AdapterFolder.Write(_temp.File("a"), AdapterFolder.Config(),
            (QA, [2, 7], AdapterFolder.Values(14, 1)), (QB, [5, 2], AdapterFolder.Values(10, 2)), (key, [5, 1], AdapterFolder.Values(5, 3)));
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(folder));
        Assert.Equal(key, error.TensorName);
        Assert.StartsWith(reason, error.Reason);
    }

    [Fact]
    public void APeftTypeOfLoraIsRead()
    {
        string folder = WriteValid(AdapterFolder.Config());
        string configPath = Path.Combine(folder, LoraAdapterConfig.FileName);
        File.WriteAllText(configPath, """{"peft_type": "LORA", "use_dora": false, "r": 2, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}""");
        using var model = ModelReader.Open(folder);
        Assert.Equal(ModelKind.LoraAdapter, model.Kind);
    }

    [Fact]
    public void RankDisagreeingWithTheConfigIsRejected()
    {
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(WriteValid(AdapterFolder.Config(rank: 4))));
        Assert.Equal(QA, error.TensorName);
        Assert.Equal("rank 2 of layer 'layers.0.self_attn.q_proj' disagrees with r=4 in adapter_config.json", error.Reason);
    }

    [Fact]
    public void RankPatternOverridesTheRankAndAlphaPerModule()
    {
        LoraAdapterConfig config = AdapterFolder.Config(rank: 4, alpha: 8) with
        {
            RankPattern = new Dictionary<string, int> { ["q_proj"] = 2, ["v_proj"] = 2 },
            AlphaPattern = new Dictionary<string, double> { ["v_proj"] = 1 },
        };
        using IModelReader model = ModelReader.Open(WriteValid(config));
        Assert.Equal(4.0, model.ReadLoraFactors("layers.0.self_attn.q_proj", new float[14], new float[10])); // 8/2
        Assert.Equal(0.5, model.ReadLoraFactors("layers.0.self_attn.v_proj", new float[14], new float[6]));  // 1/2
    }

    [Fact]
    public void ShapesInconsistentBetweenAAndBAreRejected()
    {
        string folder = AdapterFolder.Write(_temp.File("a"), AdapterFolder.Config(),
            (QA, [2, 7], AdapterFolder.Values(14, 1)), (QB, [5, 3], AdapterFolder.Values(15, 2)));
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(folder));
        Assert.Equal(QA, error.TensorName);
        Assert.Equal("inconsistent shapes: lora_A [2, 7] (r × in) and lora_B [5, 3] (out × r) disagree on the rank", error.Reason);
    }

    [Fact]
    public void FactorsThatAreNotMatricesAreRejected()
    {
        string folder = AdapterFolder.Write(_temp.File("a"), AdapterFolder.Config(),
            (QA, [14], AdapterFolder.Values(14, 1)), (QB, [5, 2], AdapterFolder.Values(10, 2)));
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(folder));
        Assert.Equal("LoRA factor has shape [14]; it must have 2 dimensions", error.Reason);
    }

    [Fact]
    public void ModulesOutsideTargetModulesAreRejected()
    {
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(WriteValid(AdapterFolder.Config(targets: ["q_proj"]))));
        Assert.Equal("layer 'layers.0.self_attn.v_proj' is not among target_modules [q_proj]", error.Reason);
    }

    [Theory]
    [InlineData("""{"lora_alpha": 8}""", "field 'r' is missing")]
    [InlineData("""{"r": 0, "lora_alpha": 8}""", "field 'r' is 0; it must be positive")]
    [InlineData("""{"r": "two", "lora_alpha": 8}""", "a field has the wrong type")]
    [InlineData("""{"r": 2, "lora_alpha": -1}""", "field 'lora_alpha' is -1")]
    [InlineData("""{"r": 2, "rank_pattern": [1]}""", "field 'rank_pattern' is not an object")]
    [InlineData("""{"r": 2""", "invalid JSON")]
    [InlineData("""{"peft_type": "ADALORA", "r": 2, "lora_alpha": 8}""", "field 'peft_type' is 'ADALORA'; only LoRA adapters (ΔW = s·B·A) are read")]
    [InlineData("""{"peft_type": "IA3", "r": 2}""", "field 'peft_type' is 'IA3'")]
    [InlineData("""{"peft_type": "LORA", "use_dora": true, "r": 2, "lora_alpha": 8}""", "field 'use_dora' is true: a DoRA adapter rescales W + s·B·A by a learned magnitude")]
    public void BadConfigsAreRejectedNamingTheField(string json, string reason)
    {
        string folder = WriteValid(AdapterFolder.Config());
        string configPath = Path.Combine(folder, LoraAdapterConfig.FileName);
        File.WriteAllText(configPath, json);
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(folder));
        Assert.Equal(configPath, error.FilePath);
        Assert.StartsWith(reason, error.Reason);
    }

    [Fact]
    public void ConfigRoundTripsThroughSave()
    {
        LoraAdapterConfig config = new(16, 32, true, ["q_proj", "k_proj"], true) { BaseModel = "mistralai/Mistral-7B-v0.1" };
        string path = _temp.File("adapter_config.json");
        config.Save(path);
        LoraAdapterConfig loaded = LoraAdapterConfig.Load(path);
        Assert.Equal((16, 32.0, true, true, "mistralai/Mistral-7B-v0.1"), (loaded.Rank, loaded.Alpha, loaded.UseRsLora, loaded.FanInFanOut, loaded.BaseModel));
        Assert.Equal(["q_proj", "k_proj"], loaded.TargetModules);
        Assert.Equal(8.0, loaded.Scaling);
    }

    [Fact]
    public void FanInFanOutSetsTheOrientationFlagButLeavesFactorsCanonical()
    {
        LoraAdapterConfig config = AdapterFolder.Config() with { FanInFanOut = true };
        using IModelReader model = ModelReader.Open(WriteValid(config));
        LayerInfo layer = model.GetLayer("layers.0.self_attn.q_proj");
        Assert.True(layer.Transposed);
        Assert.Equal(new LayerShape(5, 7), layer.Shape);
    }

    [Fact]
    public void DenseOnlyOperationsAndUnknownLayersFailClearly()
    {
        using IModelReader model = ModelReader.Open(WriteValid(AdapterFolder.Config()));
        var missing = Assert.Throws<ModelFormatException>(() => model.GetLayer("layers.9.self_attn.q_proj"));
        Assert.Equal("layers.9.self_attn.q_proj", missing.TensorName);
        Assert.Equal("the model has no such layer", missing.Reason);
    }

    [Fact]
    public void AdapterWriterProducesAFolderTheReaderAccepts()
    {
        string folder = _temp.File("written");
        LoraAdapterConfig config = AdapterFolder.Config(rank: 2, alpha: 6, targets: ["o_proj"]);
        using (var writer = new LoraAdapterWriter(folder, config, [new Fleets.FleetLayerSpec("model.layers.5.self_attn.o_proj", 3, 4)], TensorDType.F32))
        {
            Assert.Throws<ArgumentException>(() => writer.WriteLayer(new float[8], new float[5]));
            writer.WriteLayer(AdapterFolder.Values(8, 1), AdapterFolder.Values(6, 2));
            Assert.Throws<InvalidOperationException>(() => writer.WriteLayer(new float[8], new float[6]));
            Assert.False(File.Exists(Path.Combine(folder, LoraAdapterConfig.FileName))); // config comes last
            writer.Complete();
        }

        using IModelReader model = ModelReader.Open(folder);
        Assert.Equal(new LayerInfo("layers.5.self_attn.o_proj", 3, 4, 2, false), Assert.Single(model.Layers));
        var a = new float[8];
        var b = new float[6];
        Assert.Equal(3.0, model.ReadLoraFactors("layers.5.self_attn.o_proj", a, b));
        Assert.Equal(AdapterFolder.Values(8, 1), a);
        Assert.Equal(AdapterFolder.Values(6, 2), b);
    }

    [Fact]
    public void FolderWithoutWeightsIsRejected()
    {
        string folder = _temp.File("empty-adapter");
        Directory.CreateDirectory(folder);
        AdapterFolder.Config().Save(Path.Combine(folder, LoraAdapterConfig.FileName));
        var error = Assert.Throws<ModelFormatException>(() => ModelReader.Open(folder));
        Assert.Equal("adapter_model.safetensors does not exist", error.Reason);
    }
}

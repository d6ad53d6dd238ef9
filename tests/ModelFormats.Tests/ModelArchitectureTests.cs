using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class ModelArchitectureTests
{
    private static ModelArchitecture Fleet() => new(new Dictionary<string, LayerShape>
    {
        ["layers.0.self_attn.q_proj"] = new(4096, 4096),
        ["layers.0.self_attn.k_proj"] = new(1024, 4096),
    });

    [Fact]
    public void IdenticalArchitecturesAreCompatible() => Fleet().EnsureCompatible(Fleet(), "m");

    [Fact]
    public void ShapeMismatchNamesTheLayerAndBothShapes()
    {
        var model = new ModelArchitecture(new Dictionary<string, LayerShape>
        {
            ["layers.0.self_attn.q_proj"] = new(1024, 4096),
            ["layers.0.self_attn.k_proj"] = new(1024, 4096),
        });
        var error = Assert.Throws<ModelFormatException>(() => Fleet().EnsureCompatible(model, "fleet/model-7"));
        Assert.Equal("fleet/model-7", error.FilePath);
        Assert.Equal("layers.0.self_attn.q_proj", error.TensorName);
        Assert.Equal("layer shape 1024×4096 differs from the fleet's 4096×4096", error.Reason);
    }

    [Fact]
    public void MissingAndExtraLayersAreRejected()
    {
        var missing = new ModelArchitecture(new Dictionary<string, LayerShape> { ["layers.0.self_attn.q_proj"] = new(4096, 4096) });
        var error = Assert.Throws<ModelFormatException>(() => Fleet().EnsureCompatible(missing, "m"));
        Assert.Equal("layers.0.self_attn.k_proj", error.TensorName);
        Assert.Equal("layer is missing from the model; the fleet has it as 1024×4096", error.Reason);

        var extra = new ModelArchitecture(new Dictionary<string, LayerShape>(Fleet().Layers) { ["layers.1.mlp"] = new(8, 8) });
        var extraError = Assert.Throws<ModelFormatException>(() => Fleet().EnsureCompatible(extra, "m"));
        Assert.Equal("layers.1.mlp", extraError.TensorName);
        Assert.Equal("layer (8×8) is not part of the fleet's architecture", extraError.Reason);
    }

    [Fact]
    public void AModelWithNoLayerOfTheFleetsIsRejectedAsAnotherArchitecture()
    {
        var vit = new ModelArchitecture(new Dictionary<string, LayerShape> { ["encoder.layer.0.attention.attention.query"] = new(768, 768) });
        var error = Assert.Throws<ModelFormatException>(() => Fleet().EnsureCompatible(vit, "vit.safetensors"));
        Assert.Null(error.TensorName);
        Assert.Equal(
            "no layer in common with the fleet: the model's 1 layer(s) start with 'encoder.layer.0.attention.attention.query', " +
            "the fleet's 2 with 'layers.0.self_attn.k_proj' (another architecture or base model)",
            error.Reason);
    }
}

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
}

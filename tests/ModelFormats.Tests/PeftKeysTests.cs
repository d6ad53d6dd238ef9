using OrleansUws.ModelFormats.Peft;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class PeftKeysTests
{
    [Theory]
    [InlineData("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight", "model.layers.3.self_attn.q_proj", "layers.3.self_attn.q_proj", LoraFactor.A)]
    [InlineData("base_model.model.model.layers.3.self_attn.q_proj.lora_B.weight", "model.layers.3.self_attn.q_proj", "layers.3.self_attn.q_proj", LoraFactor.B)]
    [InlineData("base_model.model.model.layers.0.mlp.down_proj.lora_A.default.weight", "model.layers.0.mlp.down_proj", "layers.0.mlp.down_proj", LoraFactor.A)]
    [InlineData("base_model.model.transformer.h.2.attn.c_attn.lora_B.weight", "transformer.h.2.attn.c_attn", "transformer.h.2.attn.c_attn", LoraFactor.B)]
    [InlineData("model.layers.1.self_attn.v_proj.lora_A.weight", "model.layers.1.self_attn.v_proj", "layers.1.self_attn.v_proj", LoraFactor.A)]
    [InlineData("base_model.model.model.model.x.lora_A.weight", "model.model.x", "model.x", LoraFactor.A)]
    public void LoraKeysMapToLayerIds(string key, string module, string layerId, LoraFactor factor)
    {
        Assert.True(PeftKeys.TryParseLoraKey(key, out string actualModule, out string actualLayer, out LoraFactor actualFactor));
        Assert.Equal((module, layerId, factor), (actualModule, actualLayer, actualFactor));
        if (!key.Contains(".default.") && key.StartsWith("base_model.model.", StringComparison.Ordinal))
        {
            Assert.Equal(key, PeftKeys.LoraKey(module, factor));
        }
    }

    [Theory]
    [InlineData("base_model.model.model.layers.0.self_attn.q_proj.weight")]
    [InlineData("base_model.model.model.embed_tokens.lora_embedding_A")]
    [InlineData("base_model.model.model.layers.0.q_proj.lora_A.bias")]
    [InlineData("base_model.model.model.layers.0.q_proj.lora_A.x.y.weight")]
    [InlineData("lora_A.weight")]
    public void OtherKeysAreNotLoraFactors(string key) => Assert.False(PeftKeys.TryParseLoraKey(key, out _, out _, out _));

    [Theory]
    [InlineData("model.layers.3.self_attn.q_proj.weight", "layers.3.self_attn.q_proj")]
    [InlineData("encoder.layer.0.attention.attention.query.weight", "encoder.layer.0.attention.attention.query")]
    [InlineData("transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn")]
    public void DenseKeysMapToLayerIds(string key, string layerId) => Assert.Equal(layerId, PeftKeys.DenseLayerId(key));
}

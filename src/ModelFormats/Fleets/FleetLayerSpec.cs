namespace OrleansUws.ModelFormats.Fleets;

/// <summary>One layer of a generated fleet.</summary>
/// <param name="ModulePath">
/// The module path inside the model, e.g. <c>model.layers.0.self_attn.q_proj</c>; keys are
/// <c>base_model.model.&lt;path&gt;.lora_A.weight</c> for adapters and <c>&lt;path&gt;.weight</c> for checkpoints.
/// </param>
/// <param name="OutFeatures">m: rows of W.</param>
/// <param name="InFeatures">n: columns of W.</param>
public sealed record FleetLayerSpec(string ModulePath, int OutFeatures, int InFeatures)
{
    /// <summary>The layer id readers report (module path without a leading <c>model.</c>).</summary>
    public string LayerId => Peft.PeftKeys.DenseLayerId(ModulePath);
}

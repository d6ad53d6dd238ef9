namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// One LoRA update ΔW = (Alpha/Rank)·B·A in factored form, as PEFT stores it: <paramref name="B"/> is
/// <c>lora_B.weight</c> (OutFeatures×Rank, row-major), <paramref name="A"/> is <c>lora_A.weight</c>
/// (Rank×InFeatures, row-major).
/// </summary>
/// <param name="B">OutFeatures×Rank factor.</param>
/// <param name="A">Rank×InFeatures factor.</param>
/// <param name="OutFeatures">m, rows of ΔW.</param>
/// <param name="Rank">r.</param>
/// <param name="InFeatures">n, columns of ΔW.</param>
/// <param name="Alpha">lora_alpha from adapter_config.json.</param>
public sealed record LoraFactors(float[] B, float[] A, int OutFeatures, int Rank, int InFeatures, float Alpha)
{
    /// <summary>The scale α/r applied to B·A.</summary>
    public float Scale => Alpha / Rank;
}

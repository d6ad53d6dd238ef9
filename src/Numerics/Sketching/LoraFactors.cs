using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// One LoRA update ΔW = (Alpha/Rank)·B·A in factored form, as PEFT stores it: <paramref name="B"/> is
/// <c>lora_B.weight</c> (OutFeatures×Rank, row-major), <paramref name="A"/> is <c>lora_A.weight</c>
/// (Rank×InFeatures, row-major). The factors are memory, so that a reader's pooled buffers can hold them: factors of wide
/// layers are large-object-heap arrays, and a fresh pair per layer per model would make full collections part of
/// ingestion.
/// </summary>
/// <param name="B">OutFeatures×Rank factor.</param>
/// <param name="A">Rank×InFeatures factor.</param>
/// <param name="OutFeatures">m, rows of ΔW.</param>
/// <param name="Rank">r.</param>
/// <param name="InFeatures">n, columns of ΔW.</param>
/// <param name="Alpha">lora_alpha from adapter_config.json.</param>
public sealed record LoraFactors(ReadOnlyMemory<float> B, ReadOnlyMemory<float> A, int OutFeatures, int Rank, int InFeatures, float Alpha)
{
    /// <summary>The scale α/r applied to B·A.</summary>
    public float Scale => Alpha / Rank;

    /// <summary>Throws, naming the factor, when the factor lengths disagree with the shape or the update's dimension along <paramref name="axis"/> is not <paramref name="dimension"/>.</summary>
    internal void CheckShape(int dimension, SketchAxis axis)
    {
        Guard.Positive("lora.Rank", Rank);
        Guard.Length("lora.B", B.Length, (long)OutFeatures * Rank, $"lora_B of {OutFeatures}×{Rank}");
        Guard.Length("lora.A", A.Length, (long)Rank * InFeatures, $"lora_A of {Rank}×{InFeatures}");
        int expected = axis == SketchAxis.Rows ? InFeatures : OutFeatures;
        if (dimension != expected)
        {
            throw new ArgumentException(
                $"A {axis}-mode LoRA update of {OutFeatures}×{InFeatures} has dimension {expected}, but the sketch has dimension {dimension}.",
                "lora");
        }
    }

    /// <summary>Throws, naming the factor, row and column, when a factor entry or the scale is NaN or infinite.</summary>
    internal void CheckFinite()
    {
        if (!float.IsFinite(Scale))
        {
            throw new ArgumentException($"Scale α/r = {Alpha}/{Rank} is {Scale}; it must be finite.", "lora");
        }

        int bad = Guard.FirstNonFinite(B.Span);
        if (bad >= 0)
        {
            throw new ArgumentException($"'lora_B' row {bad / Rank}, column {bad % Rank} is {B.Span[bad]}; only finite values can be sketched.", "lora");
        }

        bad = Guard.FirstNonFinite(A.Span);
        if (bad >= 0)
        {
            throw new ArgumentException($"'lora_A' row {bad / InFeatures}, column {bad % InFeatures} is {A.Span[bad]}; only finite values can be sketched.", "lora");
        }
    }
}

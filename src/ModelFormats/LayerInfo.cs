namespace OrleansUws.ModelFormats;

/// <summary>One layer of a model, described in canonical orientation W (out × in).</summary>
/// <param name="LayerId">The layer id, e.g. <c>layers.3.self_attn.q_proj</c> (see <see cref="Peft.PeftKeys"/>).</param>
/// <param name="OutFeatures">m: rows of W.</param>
/// <param name="InFeatures">n: columns of W.</param>
/// <param name="Rank">The LoRA rank r for adapters; 0 for dense layers.</param>
/// <param name="Transposed">
/// Whether the file stores the weight in × out (GPT-2 Conv1D, PEFT <c>fan_in_fan_out</c>). Readers always return the
/// canonical orientation; the flag matters only to code that writes back into the original layout.
/// </param>
public sealed record LayerInfo(string LayerId, int OutFeatures, int InFeatures, int Rank, bool Transposed)
{
    /// <summary>The canonical shape m × n.</summary>
    public LayerShape Shape => new(OutFeatures, InFeatures);
}

namespace OrleansUws.ModelFormats.Fleets;

/// <summary>What a generated fleet's models are.</summary>
public enum FleetKind
{
    /// <summary>PEFT LoRA adapters (one folder per model).</summary>
    LoraAdapters,

    /// <summary>Full checkpoints (one safetensors file per model).</summary>
    DenseCheckpoints,
}

namespace OrleansUws.ModelFormats;

/// <summary>What a model file holds.</summary>
public enum ModelKind
{
    /// <summary>A PEFT LoRA adapter: per layer ΔW = s·B·A.</summary>
    LoraAdapter,

    /// <summary>A full (dense) checkpoint: per layer the weight W.</summary>
    DenseCheckpoint,
}

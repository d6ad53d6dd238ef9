namespace OrleansUws.ModelFormats.Peft;

/// <summary>Which factor of a LoRA update ΔW = s·B·A a tensor holds.</summary>
public enum LoraFactor
{
    /// <summary>The down-projection A (r × in).</summary>
    A,

    /// <summary>The up-projection B (out × r).</summary>
    B,
}

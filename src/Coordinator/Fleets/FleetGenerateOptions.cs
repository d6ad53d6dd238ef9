namespace OrleansUws.Coordinator.Fleets;

/// <summary>What <c>uws fleet generate</c> (and <c>uws run</c> without <c>--fleet</c>) writes: a synthetic fleet from a preset.</summary>
public sealed class FleetGenerateOptions
{
    /// <summary>Default preset: LoRA adapters with Mistral-7B attention shapes.</summary>
    public const string DefaultPreset = "mistral-7b-lora";

    /// <summary>Folder the fleet is written to (created when absent). Option <c>--out</c>.</summary>
    public string Output { get; set; } = "fleet";

    /// <summary>Preset name (layer shapes, kind, default dtype). Option <c>--preset</c>.</summary>
    public string Preset { get; set; } = DefaultPreset;

    /// <summary>Number of models. Option <c>--models</c>.</summary>
    public int Models { get; set; } = 200;

    /// <summary>Decoder layers / blocks to include; null = all of the preset. Option <c>--layers</c>.</summary>
    public int? Layers { get; set; }

    /// <summary>LoRA rank r; null = preset default. Option <c>--rank</c>.</summary>
    public int? Rank { get; set; }

    /// <summary>Element type of the written tensors (bf16, f16, f32); null = preset default. Option <c>--dtype</c>.</summary>
    public string? DType { get; set; }

    /// <summary>Dimension k of the planted subspace; null = preset default. Option <c>--subspace-dim</c>.</summary>
    public int? SubspaceDimension { get; set; }

    /// <summary>Noise level added to the planted structure; null = preset default. Option <c>--noise</c>.</summary>
    public double? Noise { get; set; }

    /// <summary>Seed: model i's content depends only on (seed, i, layer). Option <c>--seed</c>.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Write unstructured random models instead of a planted subspace (a null-hypothesis fleet). Option <c>--random</c>.</summary>
    public bool Random { get; set; }
}

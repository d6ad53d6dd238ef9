namespace OrleansUws.ModelFormats.Fleets;

/// <summary>
/// What <see cref="FleetGenerator"/> writes. Planted structure per layer (m × n): an orthonormal k-dimensional
/// row basis V (n × k) and column basis U (m × k), per-direction scales σ_j, and:
/// <list type="bullet">
/// <item>adapters: A_t = C_t Vᵀ + E_t, B_t = U D_t + F_t with C_t = C̄ + Z_t·diag(σ) (r × k), D_t = D̄ + diag(σ)·Z'_t (k × r),
/// C̄, D̄ drawn once per layer scaled by <see cref="MeanStrength"/>; noise entries N(0, noise²/n) in A and N(0, noise²/m) in B.
/// The row space of ΔW_t = s·B_t·A_t is span(V) and its column space span(U), up to noise.</item>
/// <item>checkpoints: W_t = M + √m·Σ_j c_tj u_j v_jᵀ + G_t, c_tj ~ N(0, σ_j²), M entries N(0, MeanStrength²/n), G_t entries
/// N(0, noise²/n). Rows of W_t − M span V, columns span U, vec(W_t − M) spans the k eigen-models vec(u_j v_jᵀ).</item>
/// </list>
/// With these scales a row of planted signal has squared norm ≈ Σσ_j² and a row of noise norm ≈ <see cref="NoiseLevel"/>.
/// </summary>
public sealed record FleetSpec
{
    /// <summary>Preset name, recorded in <c>fleet.json</c> (informational).</summary>
    public string Preset { get; init; } = "custom";

    /// <summary>Adapters or dense checkpoints.</summary>
    public FleetKind Kind { get; init; } = FleetKind.LoraAdapters;

    /// <summary>The layers, in file order.</summary>
    public IReadOnlyList<FleetLayerSpec> Layers { get; init; } = [];

    /// <summary>Number of models to write (≥ 1).</summary>
    public int ModelCount { get; init; } = 1;

    /// <summary>LoRA rank r (adapters only; ≤ min(m, n)). Default 16.</summary>
    public int Rank { get; init; } = 16;

    /// <summary>lora_alpha written to each adapter config (scaling α/r). Default 32.</summary>
    public double LoraAlpha { get; init; } = 32;

    /// <summary>Dimension k of the planted subspace (≤ min(m, n)). Default 8.</summary>
    public int SubspaceDimension { get; init; } = 8;

    /// <summary>Planted scales σ_j = decay^j for j &lt; k when <see cref="Spectrum"/> is absent; in (0, 1]. Default 0.8.</summary>
    public double SpectrumDecay { get; init; } = 0.8;

    /// <summary>Explicit σ_0..σ_{k−1} (positive, length k); overrides <see cref="SpectrumDecay"/>.</summary>
    public IReadOnlyList<double>? Spectrum { get; init; }

    /// <summary>Strength of the fleet mean relative to σ (≥ 0). Default 0.5.</summary>
    public double MeanStrength { get; init; } = 0.5;

    /// <summary>Noise level: the expected norm of a row of noise (≥ 0). Default 0.05.</summary>
    public double NoiseLevel { get; init; } = 0.05;

    /// <summary>Planted structure or a random (null) fleet.</summary>
    public FleetStructure Structure { get; init; } = FleetStructure.Planted;

    /// <summary>Element type on disk (F32, F16, BF16, F64). Presets use BF16 for adapters and F32 for checkpoints.</summary>
    public TensorDType DType { get; init; } = TensorDType.BF16;

    /// <summary>Seed: the fleet is a pure function of the spec; model i depends only on (seed, i, layer).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Models written concurrently (≥ 1). Default: the processor count. Does not affect content.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>σ_0..σ_{k−1}: <see cref="Spectrum"/> or the geometric decay.</summary>
    public IReadOnlyList<double> ResolvedSpectrum =>
        Spectrum ?? Enumerable.Range(0, SubspaceDimension).Select(j => Math.Pow(SpectrumDecay, j)).ToArray();
}

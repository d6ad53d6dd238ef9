namespace OrleansUws.Subspace.Bases;

/// <summary>What a basis file's <c>__metadata__</c> records about one version of one layer's basis.</summary>
/// <param name="Fleet">The fleet the basis was fitted on.</param>
/// <param name="Layer">The layer id.</param>
/// <param name="Mode">Which side the basis spans.</param>
/// <param name="Centred">Whether the mean was removed before fitting (then it is subtracted before projecting and added back).</param>
/// <param name="Rank">k, the number of basis vectors.</param>
/// <param name="Version">The basis version (coefficients name it and are refused against any other).</param>
/// <param name="ModelCount">T, the models the basis had absorbed.</param>
/// <param name="RowCount">Rows the sketch had absorbed (m per dense model in rows mode, r per LoRA adapter, 1 per model flattened).</param>
public sealed record BasisFileHeader(
    string Fleet,
    string Layer,
    BasisMode Mode,
    bool Centred,
    int Rank,
    int Version,
    int ModelCount,
    long RowCount)
{
    /// <summary>Energy rule only: τ was not reached at the cap, so k = cap.</summary>
    public bool RankCapped { get; init; }

    /// <summary>Σ_{i≤k} σᵢ² / total energy of what the basis absorbed (a lower bound for a Frequent Directions sketch).</summary>
    public double ExplainedEnergy { get; init; }

    /// <summary>The sketch's error certificate, an upper bound on ‖AᵀA − BᵀB‖₂ (Frequent Directions: total shrinkage; Nyström: tr C − tr Ĉ; 0 for an exact Gram).</summary>
    public double Certificate { get; init; }

    /// <summary>sin θ_max to the previous version, when there was one.</summary>
    public double? SinThetaToPrevious { get; init; }

    /// <summary>When the version was computed.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>m, rows of the layer's ΔW, when known (always for flattened bases written by this library).</summary>
    public int? OutFeatures { get; init; }

    /// <summary>n, columns of the layer's ΔW, when known.</summary>
    public int? InFeatures { get; init; }

    /// <summary>
    /// Rows whose span the absorbed data can fill, for the Marchenko–Pastur null: N·r for a LoRA fleet (each adapter
    /// adds a rank-r block of m rows), null when every absorbed row counts (<see cref="RowCount"/>, dense models).
    /// </summary>
    public long? IndependentRows { get; init; }

    /// <summary>
    /// Held-out capture: the running average, over <see cref="HeldOutModels"/> models, of the share of each model's energy
    /// that the basis version of its arrival captured before the model was absorbed (measured while streaming).
    /// </summary>
    public double? HeldOutCapture { get; init; }

    /// <summary>Models behind <see cref="HeldOutCapture"/>.</summary>
    public int? HeldOutModels { get; init; }

    /// <summary>Energy-weighted subspace distance to the previous version (meaningful without a spectral gap).</summary>
    public double? EnergyDistanceToPrevious { get; init; }

    /// <summary>sin θ_max to the previous version over the leading <see cref="GapDirections"/> directions (up to the largest gap of σ).</summary>
    public double? SinThetaUpToGap { get; init; }

    /// <summary>How many leading directions <see cref="SinThetaUpToGap"/> compares.</summary>
    public int? GapDirections { get; init; }
}

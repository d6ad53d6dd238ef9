namespace OrleansUws.Grains.Interfaces;

/// <summary>One entry of a layer's convergence history: the figures of one basis version.</summary>
/// <param name="Fleet">Fleet name.</param>
/// <param name="Layer">Layer id.</param>
/// <param name="Mode">Sketch mode.</param>
/// <param name="Version">Version number, 1 for the first basis.</param>
/// <param name="ModelCount">T: models merged into this version.</param>
/// <param name="RowCount">Rows merged into this version.</param>
/// <param name="Rank">k.</param>
/// <param name="RankCapped">True when k was limited by <see cref="BasisPolicy.MaxRank"/> before reaching the energy threshold.</param>
/// <param name="ExplainedEnergy">Share of the sketch's energy (Frobenius², about the mean when centred) captured by the k vectors.</param>
/// <param name="Certificate">
/// Error certificate: an upper bound on ‖AᵀA − BᵀB‖₂ (Frequent Directions: total shrinkage; Nyström: tr C − tr Ĉ; 0 for an exact Gram).
/// </param>
/// <param name="SinThetaToPrevious">sin of the largest principal angle to the previous version; null for version 1.</param>
/// <param name="Centered">Whether the basis is about the fleet mean.</param>
/// <param name="ComputeDuration">Wall time of merge + basis computation.</param>
/// <param name="CreatedAt">When the version was published.</param>
/// <param name="Trigger">What caused it.</param>
/// <param name="Alignment">
/// The k×k rotation R (row-major) that aligned this version to the previous one (orthogonal Procrustes, after the sign
/// rule): the published vectors are R·E for the eigenvectors E, so coefficients made against the previous version stay
/// as close as possible; E = Rᵀ·vectors recovers the principal directions (in σ order). Null when not aligned (the first
/// version, a change of k, flattened mode).
/// </param>
/// <param name="HeldOut">
/// The layer's held-out capture sums over every model measured up to this version (each projected onto the basis
/// version of its arrival before it was absorbed); <see cref="HeldOutTally.MeanShare"/> is the running average as T grows.
/// Null in flattened mode and before any model met a basis.
/// </param>
/// <param name="IndependentRows">
/// The Marchenko–Pastur null's N: r per LoRA adapter (its m rows span r dimensions), the rows otherwise. Null when unknown.
/// </param>
/// <param name="EnergyDistanceToPrevious">
/// Energy-weighted subspace distance to the previous version, in [0, 1]: meaningful without a spectral gap, where
/// <see cref="SinThetaToPrevious"/> is ≈ 1 whenever σ_k ≈ σ_{k+1}. Null for version 1 and flattened mode.
/// </param>
/// <param name="GapDirections">How many leading directions <see cref="SinThetaUpToGap"/> compares (up to the largest relative gap of σ).</param>
/// <param name="SinThetaUpToGap">sin θ_max to the previous version over the leading directions up to the largest relative gap.</param>
/// <param name="NullExplainedEnergy">
/// The Marchenko–Pastur null: the share of energy iid Gaussian rows of the same shape (N = <see cref="IndependentRows"/>
/// when known) and entry variance put in their top k. Null when the figures do not allow it.
/// </param>
/// <param name="WithinNoise">True when the top-k energy is within noise of that null: a warning that the basis may not be real structure.</param>
/// <param name="DirectionsAboveEdge">Singular values clearing the null's noise edge σ(√N + √d) by 5 %.</param>
/// <param name="MeanEnergyShare">Share of the (uncentred) energy in the mean direction, when the mean is tracked.</param>
[GenerateSerializer, Immutable]
public sealed record BasisVersionInfo(
    [property: Id(0)] string Fleet,
    [property: Id(1)] string Layer,
    [property: Id(2)] SketchMode Mode,
    [property: Id(3)] int Version,
    [property: Id(4)] int ModelCount,
    [property: Id(5)] long RowCount,
    [property: Id(6)] int Rank,
    [property: Id(7)] bool RankCapped,
    [property: Id(8)] double ExplainedEnergy,
    [property: Id(9)] double Certificate,
    [property: Id(10)] double? SinThetaToPrevious,
    [property: Id(11)] bool Centered,
    [property: Id(12)] TimeSpan ComputeDuration,
    [property: Id(13)] DateTimeOffset CreatedAt,
    [property: Id(14)] BasisTrigger Trigger,
    [property: Id(15)] double[]? Alignment = null,
    [property: Id(16)] HeldOutTally? HeldOut = null,
    [property: Id(17)] long? IndependentRows = null,
    [property: Id(18)] double? EnergyDistanceToPrevious = null,
    [property: Id(19)] int? GapDirections = null,
    [property: Id(20)] double? SinThetaUpToGap = null,
    [property: Id(21)] double? NullExplainedEnergy = null,
    [property: Id(22)] bool? WithinNoise = null,
    [property: Id(23)] int? DirectionsAboveEdge = null,
    [property: Id(24)] double? MeanEnergyShare = null);

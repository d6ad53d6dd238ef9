namespace OrleansUws.Numerics.Basis;

/// <summary>A computed basis of a layer's (sketched) covariance, with what is needed to judge it.</summary>
/// <param name="Rank">k.</param>
/// <param name="Dimension">d.</param>
/// <param name="Vectors">k×d row-major float32; rows orthonormal, ordered by decreasing singular value.</param>
/// <param name="SingularValues">√λᵢ of the operator, descending (singular values of the stacked, possibly centred, rows).</param>
/// <param name="ExplainedEnergy">Σ_{i≤k} λᵢ / exact total energy of the stream (a lower bound for a Frequent Directions sketch).</param>
/// <param name="Certificate">The sketch's Frequent Directions certificate (0 for exact).</param>
/// <param name="SinThetaToPrevious">sin of the largest principal angle to the previous basis, when one was given.</param>
/// <param name="Iterations">Power iterations used.</param>
/// <param name="Converged">Whether the subspace-change criterion was met within the iteration limit.</param>
/// <param name="CapReached">Energy rule only: τ was not reached at the cap, so k = cap.</param>
/// <param name="Centred">Whether the mean was removed.</param>
/// <param name="Aligned">Whether the vectors were Procrustes-rotated onto the previous basis.</param>
/// <param name="RowCount">Rows the sketch had absorbed.</param>
/// <param name="UnitCount">Units (models) the sketch had absorbed.</param>
public sealed record SubspaceBasis(
    int Rank,
    int Dimension,
    float[] Vectors,
    double[] SingularValues,
    double ExplainedEnergy,
    double Certificate,
    double? SinThetaToPrevious,
    int Iterations,
    bool Converged,
    bool CapReached,
    bool Centred,
    bool Aligned,
    long RowCount,
    long UnitCount)
{
    /// <summary>
    /// When <see cref="Aligned"/>: the k×k rotation R (row-major) applied to the solver's eigenvectors E, so that
    /// <see cref="Vectors"/> = R·E (and E = Rᵀ·Vectors); empty otherwise.
    /// </summary>
    public double[] Alignment { get; init; } = [];

    /// <summary>tr C of the operator this basis was solved from (the sketched, possibly centred, covariance).</summary>
    public double OperatorTrace { get; init; }

    /// <summary>
    /// When a previous basis P of the same dimension was given and <see cref="BasisOptions.MeasurePreviousCapture"/> asked
    /// for it: tr(P·C·Pᵀ), the energy of this basis's operator that the previous basis captures (with
    /// <see cref="OperatorTrace"/>, what a held-out capture is measured from); null otherwise.
    /// </summary>
    public double? PreviousCaptured { get; init; }
}

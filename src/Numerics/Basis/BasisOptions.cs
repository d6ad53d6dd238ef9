namespace OrleansUws.Numerics.Basis;

/// <summary>How <see cref="SubspaceBasisSolver"/> computes a basis.</summary>
public sealed record BasisOptions
{
    /// <summary>Fixed k; null → the smallest k whose explained energy reaches <see cref="EnergyThreshold"/> (capped at <see cref="MaxRank"/>).</summary>
    public int? Rank { get; init; }

    /// <summary>τ for the energy rule (default 0.9).</summary>
    public double EnergyThreshold { get; init; } = 0.9;

    /// <summary>
    /// Cap on k for the energy rule (default 64); must be below ℓ for a Frequent Directions sketch. A layer of dimension
    /// d below it is capped at d (<see cref="RankCap"/>).
    /// </summary>
    public int MaxRank { get; init; } = 64;

    /// <summary>Extra random columns p of the randomized subspace iteration (default 10).</summary>
    public int Oversampling { get; init; } = 10;

    /// <summary>Most power iterations (default 50).</summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>Stop when sin θ_max between the top-k Ritz subspaces of two successive iterations is ≤ this (default 1e-6).</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Basis of the centred scatter (mean removed) instead of the uncentred second moment.</summary>
    public bool Centred { get; init; }

    /// <summary>Rotate the new basis by the orthogonal Procrustes solution onto the previous one (same k only).</summary>
    public bool AlignToPrevious { get; init; }

    /// <summary>
    /// Given a previous basis, measure the energy of this basis's operator that it captures
    /// (<see cref="SubspaceBasis.PreviousCaptured"/>, one more pass over the operator; default true). A caller with its own
    /// held-out figure for the version turns it off.
    /// </summary>
    public bool MeasurePreviousCapture { get; init; } = true;

    /// <summary>Seed of the random start columns.</summary>
    public int Seed { get; init; } = 12345;

    /// <summary>
    /// The most directions a basis of dimension <paramref name="dimension"/> may have under these options: the fixed
    /// <see cref="Rank"/> as given (checked against d by the solver), else <see cref="MaxRank"/> capped at d.
    /// </summary>
    public int RankCap(int dimension) => Rank ?? Math.Min(MaxRank, dimension);
}

using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Subspace.Diagnostics;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// The figures of a new version that come from its slices and its predecessor rather than from the solve: the layer's
/// held-out capture sums (the slices' sums added), the Marchenko–Pastur null's independent rows, and the distances to
/// the previous version that stay meaningful without a spectral gap (energy-weighted distance, sin θ up to the largest gap);
/// and, for every mode, the spectrum's diagnostics (Marchenko–Pastur null, mean share: <see cref="WithSpectrum"/>).
/// </summary>
public static class VersionFigures
{
    /// <summary><paramref name="info"/> completed from <paramref name="snapshots"/> (every slice's) and the previous basis.</summary>
    public static BasisVersionInfo Complete(BasisVersionInfo info, IReadOnlyCollection<SliceSnapshot> snapshots, LayerBasis? previous,
        ReadOnlySpan<float> vectors, IReadOnlyList<double> singularValues, int dimension)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(singularValues);
        var heldOut = snapshots.Aggregate(HeldOutTally.Empty, (sum, s) => s.HeldOut is { } tally ? sum.Plus(tally) : sum);

        // A slice written before independent rows were counted reports 0 for its rows: then N is unknown.
        long? independent = snapshots.All(s => s.IndependentRows > 0 || s.RowCount == 0) ? snapshots.Sum(s => s.IndependentRows) : null;
        double? distance = null;
        (int Directions, double SinTheta)? gap = null;
        int k = info.Rank;
        if (previous is { Info.Rank: > 0 and var kp } && previous.Dimension == dimension && k > 0 && vectors.Length >= k * dimension
            && previous.Vectors.Length >= kp * dimension && previous.SingularValues.Length >= kp && singularValues.Count >= k)
        {
            // Weights and the gap belong to principal directions (σ order) E = Rᵀ·V, not to the aligned vectors V that are
            // published. Their products follow from the vectors' own by k×k algebra: E·Eₚᵀ = Rᵀ(V·Vₚᵀ)Rₚ, E·Eᵀ = Rᵀ(V·Vᵀ)R.
            var current = vectors[..(k * dimension)];
            var before = previous.Vectors.AsSpan(0, kp * dimension);
            var cross = Rotated(info.Alignment, SubspaceMetrics.Overlaps(current, k, before, kp, dimension), previous.Info.Alignment, k, kp);
            var own = Rotated(info.Alignment, SubspaceMetrics.Overlaps(current, k, current, k, dimension), info.Alignment, k, k);
            var previousOwn = Rotated(previous.Info.Alignment, SubspaceMetrics.Overlaps(before, kp, before, kp, dimension), previous.Info.Alignment, kp, kp);
            distance = SubspaceDiagnostics.EnergyWeightedDistance(cross, singularValues, k, previous.SingularValues, kp);
            gap = SubspaceDiagnostics.SinThetaUpToLargestGap(own, cross, previousOwn, singularValues, k, kp);
        }

        return info with
        {
            HeldOut = heldOut.Models > 0 ? heldOut : null,
            IndependentRows = independent is > 0 ? independent : null,
            EnergyDistanceToPrevious = distance,
            GapDirections = gap?.Directions,
            SinThetaUpToGap = gap?.SinTheta,
        };
    }

    /// <summary>
    /// <paramref name="basis"/>'s version with the diagnostics of its spectrum: the Marchenko–Pastur null for N = its
    /// independent rows (T·r for LoRA fleets) or its rows, d and σ, the warning, and the mean's share.
    /// </summary>
    public static BasisVersionInfo WithSpectrum(LayerBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        var info = basis.Info;
        var diagnostics = SubspaceDiagnostics.ForSpectrum(info.RowCount, basis.Dimension, basis.SingularValues.Take(info.Rank).ToArray(),
            info.ExplainedEnergy, basis.Mean, info.Centered, info.IndependentRows);
        return diagnostics is null ? info : info with
        {
            NullExplainedEnergy = diagnostics.NullExplainedEnergy,
            WithinNoise = diagnostics.WithinNoise,
            DirectionsAboveEdge = diagnostics.DirectionsAboveEdge,
            MeanEnergyShare = diagnostics.MeanEnergyShare,
        };
    }

    /// <summary>
    /// Rᵀ·<paramref name="product"/>·S for the k×k rotation R of one version and the m×m rotation S of another (either
    /// null when that version is not aligned: the identity): the product of two bases' principal directions from the
    /// product (k×m) of their published vectors.
    /// </summary>
    private static double[] Rotated(double[]? left, double[] product, double[]? right, int k, int m)
    {
        var result = product;
        if (left is { Length: > 0 } r && r.Length == k * k)
        {
            result = new double[k * m];
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < k; j++)
                {
                    double rji = r[(j * k) + i];
                    for (int q = 0; q < m; q++)
                    {
                        result[(i * m) + q] += rji * product[(j * m) + q];
                    }
                }
            }
        }

        if (right is { Length: > 0 } s && s.Length == m * m)
        {
            var rotated = new double[k * m];
            for (int i = 0; i < k; i++)
            {
                for (int l = 0; l < m; l++)
                {
                    double value = result[(i * m) + l];
                    for (int q = 0; q < m; q++)
                    {
                        rotated[(i * m) + q] += value * s[(l * m) + q];
                    }
                }
            }

            result = rotated;
        }

        return result;
    }
}

using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Diagnostics;

/// <summary>
/// Pure functions that tell whether a layer's basis is real structure: the spectrum against the Marchenko–Pastur
/// null for the same shape and entry variance, the share of energy in the mean, distances between basis versions
/// that stay meaningful without a spectral gap, and the held-out capture of a model the basis has not seen.
/// </summary>
public static class SubspaceDiagnostics
{
    /// <summary>
    /// Relative margin over the null: the top-k energy is "within noise" when it is below the null's share times
    /// (1 + <see cref="NullMargin"/>), or when no singular value clears the noise edge by <see cref="EdgeMargin"/>.
    /// Finite fleets scatter around the asymptotic law by a few percent; a planted structure clears it by far more.
    /// </summary>
    public const double NullMargin = 0.10;

    /// <summary>Relative margin a singular value must clear the Marchenko–Pastur edge σ(√N + √d) by to count as a direction.</summary>
    public const double EdgeMargin = 0.05;

    /// <summary>
    /// The diagnostics of a basis from its own figures (rows N, d, σ₁…σ_k, explained energy, mean); null when the
    /// file records no positive explained energy (the total cannot be recovered).
    /// </summary>
    public static BasisDiagnostics? ForBasis(LayerBasisFile basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        var h = basis.Header;
        return ForSpectrum(h.RowCount, basis.Dimension, basis.SingularValues, h.ExplainedEnergy, basis.Mean, h.Centred, h.IndependentRows);
    }

    /// <summary>
    /// Diagnostics of a spectrum: <paramref name="singularValues"/> (the top k, descending) of an N×d stack
    /// (<paramref name="rows"/>×<paramref name="dimension"/>) whose top k carry <paramref name="explainedEnergy"/>
    /// of the total; <paramref name="mean"/> the recorded mean row (removed before the spectrum when <paramref name="centred"/>).
    /// The null uses <paramref name="independentRows"/> when given (N·r for LoRA fleets: each adapter's m rows span only
    /// r dimensions), else <paramref name="rows"/>. Null when the total cannot be recovered (no positive explained energy or no rows).
    /// </summary>
    public static BasisDiagnostics? ForSpectrum(long rows, long dimension, IReadOnlyList<double> singularValues, double explainedEnergy,
        ReadOnlySpan<float> mean, bool centred, long? independentRows = null)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        int k = singularValues.Count;
        if (rows < 1 || dimension < 1 || k < 1 || !(explainedEnergy > 0) || !double.IsFinite(explainedEnergy))
        {
            return null;
        }

        double captured = singularValues.Sum(s => s * s);
        double total = captured / Math.Min(1.0, explainedEnergy);
        long n = independentRows is > 0 ? independentRows.Value : rows;
        double nullShare = NullExplainedEnergy(n, dimension, k);
        double sigma = Math.Sqrt(total / ((double)n * dimension));
        double edge = sigma * (Math.Sqrt(n) + Math.Sqrt(dimension));
        int above = singularValues.Count(s => s > edge * (1 + EdgeMargin));
        bool withinNoise = above == 0 || explainedEnergy <= nullShare * (1 + NullMargin);
        double? meanShare = null;
        if (!mean.IsEmpty)
        {
            double meanEnergy = rows * UpdateAlgebra.Dot(mean, mean);
            double uncentred = centred ? total + meanEnergy : total;
            meanShare = uncentred > 0 ? Math.Min(1.0, meanEnergy / uncentred) : 0;
        }

        return new BasisDiagnostics(n, dimension, k, total, explainedEnergy, nullShare, edge, above, withinNoise, meanShare);
    }

    /// <summary>
    /// The share of the total energy iid Gaussian noise of the same shape (N×d) puts in its top k directions
    /// (Marchenko–Pastur; 1 when k ≥ min(N, d)).
    /// </summary>
    public static double NullExplainedEnergy(long rows, long dimension, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        long p = Math.Min(rows, dimension);
        return k >= p ? 1.0 : MarchenkoPastur.NullExplainedVariance(rows, dimension, k);
    }

    /// <summary>Explained energy against k: element i is Σ_{j≤i} σⱼ² / <paramref name="totalEnergy"/> (k = i + 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The total is not positive.</exception>
    public static double[] ExplainedEnergyCurve(IReadOnlyList<double> singularValues, double totalEnergy)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        if (!(totalEnergy > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(totalEnergy), totalEnergy, "The total energy must be positive.");
        }

        var curve = new double[singularValues.Count];
        double sum = 0;
        for (int i = 0; i < curve.Length; i++)
        {
            sum += singularValues[i] * singularValues[i];
            curve[i] = sum / totalEnergy;
        }

        return curve;
    }

    /// <summary>
    /// An energy-weighted distance between two bases (k×d orthonormal rows with their singular values):
    /// ‖W_a − W_b‖_F / √(‖W_a‖²_F + ‖W_b‖²_F) with W = Σᵢ wᵢ vᵢvᵢᵀ, wᵢ = σᵢ²/Σσ². In [0, 1]; 0 for the same weighted
    /// subspace. Directions that swap among near-equal σ inside the basis change nothing, and a swap at the edge
    /// (σ_k ≈ σ_{k+1}) moves it only by the weight of that direction, so it stays meaningful without a spectral gap,
    /// where sin θ_max is ≈ 1.
    /// </summary>
    public static double EnergyWeightedDistance(ReadOnlySpan<float> a, IReadOnlyList<double> sigmaA, int ka,
        ReadOnlySpan<float> b, IReadOnlyList<double> sigmaB, int kb, int dimension)
    {
        ArgumentNullException.ThrowIfNull(sigmaA);
        ArgumentNullException.ThrowIfNull(sigmaB);
        CheckBasis(nameof(a), a, ka, dimension, sigmaA.Count);
        CheckBasis(nameof(b), b, kb, dimension, sigmaB.Count);
        return EnergyWeightedDistance(SubspaceMetrics.Overlaps(a[..(ka * dimension)], ka, b[..(kb * dimension)], kb, dimension), sigmaA, ka, sigmaB, kb);
    }

    /// <summary>
    /// <see cref="EnergyWeightedDistance(ReadOnlySpan{float}, IReadOnlyList{double}, int, ReadOnlySpan{float}, IReadOnlyList{double}, int, int)"/>
    /// from the bases' overlaps A·Bᵀ (ka×kb, row-major) alone.
    /// </summary>
    public static double EnergyWeightedDistance(ReadOnlySpan<double> overlaps, IReadOnlyList<double> sigmaA, int ka, IReadOnlyList<double> sigmaB, int kb)
    {
        ArgumentNullException.ThrowIfNull(sigmaA);
        ArgumentNullException.ThrowIfNull(sigmaB);
        CheckProducts(ka, kb, sigmaA.Count, sigmaB.Count);
        if (overlaps.Length < (long)ka * kb)
        {
            throw new ArgumentException($"Overlaps of {ka}×{kb} bases need {(long)ka * kb} values; {overlaps.Length} given.", nameof(overlaps));
        }

        var wa = Weights(sigmaA, ka);
        var wb = Weights(sigmaB, kb);
        double normA = wa.Sum(w => w * w), normB = wb.Sum(w => w * w), cross = 0;
        for (int i = 0; i < ka; i++)
        {
            for (int j = 0; j < kb; j++)
            {
                double c = overlaps[(i * kb) + j];
                cross += wa[i] * wb[j] * c * c;
            }
        }

        double denominator = normA + normB;
        return denominator > 0 ? Math.Sqrt(Math.Max(0, normA + normB - (2 * cross)) / denominator) : 0;
    }

    /// <summary>
    /// sin θ_max between the leading j directions of two bases, j chosen at the largest relative gap
    /// (σⱼ − σⱼ₊₁)/σⱼ of <paramref name="sigmaA"/> within the first min(ka, kb) values: the part of the subspace that is
    /// well separated from the rest, so its angle means something even when σ_k ≈ σ_{k+1}.
    /// </summary>
    public static (int Directions, double SinTheta) SinThetaUpToLargestGap(ReadOnlySpan<float> a, IReadOnlyList<double> sigmaA, int ka,
        ReadOnlySpan<float> b, int kb, int dimension)
    {
        ArgumentNullException.ThrowIfNull(sigmaA);
        CheckBasis(nameof(a), a, ka, dimension, sigmaA.Count);
        CheckBasis(nameof(b), b, kb, dimension, kb);
        int best = LargestGapDirections(sigmaA, Math.Min(ka, kb));
        double sin = SubspaceMetrics.SinThetaMax(a[..(best * dimension)], best, b[..(best * dimension)], best, dimension);
        return (best, sin);
    }

    /// <summary>
    /// <see cref="SinThetaUpToLargestGap(ReadOnlySpan{float}, IReadOnlyList{double}, int, ReadOnlySpan{float}, int, int)"/>
    /// from the bases' products alone, each row-major: A·Aᵀ (ka×ka), A·Bᵀ (ka×kb) and B·Bᵀ (kb×kb).
    /// </summary>
    public static (int Directions, double SinTheta) SinThetaUpToLargestGap(
        ReadOnlySpan<double> aa, ReadOnlySpan<double> ab, ReadOnlySpan<double> bb, IReadOnlyList<double> sigmaA, int ka, int kb)
    {
        ArgumentNullException.ThrowIfNull(sigmaA);
        CheckProducts(ka, kb, sigmaA.Count, kb);
        if (aa.Length < (long)ka * ka || ab.Length < (long)ka * kb || bb.Length < (long)kb * kb)
        {
            throw new ArgumentException($"Products of {ka}×… and {kb}×… bases need {(long)ka * ka}, {(long)ka * kb} and {(long)kb * kb} values; {aa.Length}, {ab.Length} and {bb.Length} given.");
        }

        int best = LargestGapDirections(sigmaA, Math.Min(ka, kb));
        double sin = SubspaceMetrics.SinThetaMaxFromProducts(Leading(aa, ka, best, best), Leading(ab, kb, best, best), Leading(bb, kb, best, best), best, best);
        return (best, sin);
    }

    /// <summary>
    /// The share of ‖ΔW‖² a basis keeps: 1 − ‖ΔW − ΔŴ‖²/‖ΔW‖² for the reconstruction through <paramref name="projection"/>.
    /// Measured on a model before it is absorbed, this is the prequential (held-out) capture.
    /// </summary>
    public static double CapturedShare(LayerUpdate update, LayerProjection projection, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(update);
        var projector = new SubspaceProjector(backend);
        var reconstruction = projector.Reconstruct(projector.Coefficients(update, projection), projection, update.OutFeatures, update.InFeatures);
        double error = UpdateAlgebra.RelativeError(update, reconstruction, backend);
        return 1 - (error * error);
    }

    /// <summary>
    /// <see cref="CapturedShare(LayerUpdate, LayerProjection, IBlasBackend)"/> against raw basis arrays, as a grain holds
    /// them: the first <paramref name="k"/> of <paramref name="vectors"/> (k×d rows; d = n for rows, m for columns, m·n
    /// flattened), centred on <paramref name="centredMean"/> when it is given.
    /// </summary>
    public static double CapturedShare(LayerUpdate update, BasisMode mode, float[] vectors, int k, float[]? centredMean, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(vectors);
        int d = mode switch
        {
            BasisMode.Rows => update.InFeatures,
            BasisMode.Columns => update.OutFeatures,
            _ => checked(update.OutFeatures * update.InFeatures),
        };
        if (k < 1 || vectors.Length < (long)k * d)
        {
            throw new ArgumentException($"A {BasisModes.Name(mode)} basis of rank {k} for a {update.ShapeText} layer needs {(long)k * d} values; got {vectors.Length}.", nameof(vectors));
        }

        var header = new BasisFileHeader(string.Empty, string.Empty, mode, centredMean is not null, k, 0, 0, 0);
        var basis = new LayerBasisFile(header, d, vectors.AsSpan(0, k * d).ToArray(), new double[k], centredMean);
        var form = mode switch
        {
            BasisMode.Rows => CoefficientForm.Rows,
            BasisMode.Columns => CoefficientForm.Columns,
            _ => CoefficientForm.Flattened,
        };
        return CapturedShare(update, LayerProjection.Create(form, [new ProjectionBasis(basis, k)]), backend);
    }

    private static double[] Weights(IReadOnlyList<double> sigma, int k)
    {
        var w = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            w[i] = sigma[i] * sigma[i];
            sum += w[i];
        }

        for (int i = 0; i < k && sum > 0; i++)
        {
            w[i] /= sum;
        }

        return w;
    }

    /// <summary>j at the largest relative gap (σⱼ − σⱼ₊₁)/σⱼ within the first <paramref name="k"/> values (k when k = 1).</summary>
    private static int LargestGapDirections(IReadOnlyList<double> sigma, int k)
    {
        int best = k;
        double bestGap = -1;
        for (int j = 1; j < k; j++)
        {
            double gap = sigma[j - 1] > 0 ? (sigma[j - 1] - sigma[j]) / sigma[j - 1] : 0;
            if (gap > bestGap)
            {
                bestGap = gap;
                best = j;
            }
        }

        return best;
    }

    /// <summary>The leading rows × cols block of a row-major matrix with <paramref name="stride"/> columns.</summary>
    private static double[] Leading(ReadOnlySpan<double> matrix, int stride, int rows, int cols)
    {
        var block = new double[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            matrix.Slice(i * stride, cols).CopyTo(block.AsSpan(i * cols, cols));
        }

        return block;
    }

    private static void CheckProducts(int ka, int kb, int sigmaCountA, int sigmaCountB)
    {
        if (ka < 1 || kb < 1 || sigmaCountA < ka || sigmaCountB < kb)
        {
            throw new ArgumentException($"Bases of rank {ka} and {kb} need at least {ka} and {kb} singular values; {sigmaCountA} and {sigmaCountB} given.");
        }
    }

    private static void CheckBasis(string name, ReadOnlySpan<float> basis, int k, int d, int sigmaCount)
    {
        if (k < 1 || d < 1 || basis.Length < (long)k * d || sigmaCount < k)
        {
            throw new ArgumentException($"Basis '{name}' has {basis.Length} values and {sigmaCount} singular values; rank {k} in dimension {d} needs {(long)k * d} and {k}.", name);
        }
    }
}

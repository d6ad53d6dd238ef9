using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Basis;

/// <summary>
/// Warm-started randomized subspace iteration (Halko–Martinsson–Tropp) with Rayleigh–Ritz on a sketched
/// covariance operator. The start block is the previous basis (when given) plus random Gaussian columns
/// (seeded) up to k + p; each iteration orthonormalises C·V (QR), applies C once more and solves the small
/// projected eigen-problem. It stops when the top-k Ritz subspace moves by sin θ_max ≤ <see cref="BasisOptions.Tolerance"/>
/// between two iterations, so a good warm start stops after fewer iterations. Signs are fixed so that the
/// largest-magnitude entry of each vector is positive, unless Procrustes alignment to the previous basis is asked.
/// </summary>
public sealed class SubspaceBasisSolver(IBlasBackend backend)
{
    private readonly IBlasBackend _backend = backend ?? throw new ArgumentNullException(nameof(backend));

    /// <summary>Computes the basis of a sketch (centred per <see cref="BasisOptions.Centred"/>).</summary>
    /// <exception cref="ArgumentException">k ≥ ℓ for a Frequent Directions sketch, or other bad options.</exception>
    /// <exception cref="InvalidOperationException">The sketch is empty, or centring is asked of a sketch without a mean.</exception>
    public SubspaceBasis Compute(ICovarianceSketch sketch, BasisOptions options, SubspaceBasis? previous = null)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        ArgumentNullException.ThrowIfNull(options);
        if (sketch.RowCount == 0)
        {
            throw new InvalidOperationException("Cannot compute a basis of an empty sketch (no rows absorbed).");
        }

        int kMax = options.RankCap(sketch.Dimension);
        switch (sketch)
        {
            case FrequentDirectionsSketch fd:
                SketchKinds.CheckRank(fd.Kind, fd.Ell, kMax, nameof(options));
                break;
            case NystromSketch nystrom:
                SketchKinds.CheckRank(nystrom.Kind, nystrom.Columns, kMax, nameof(options));
                break;
        }

        var op = sketch.CreateOperator(options.Centred);
        var basis = Compute(op, sketch.Energy(options.Centred), options, previous);
        return basis with { Certificate = sketch.Certificate, RowCount = sketch.RowCount, UnitCount = sketch.UnitCount };
    }

    /// <summary>Computes the basis of any symmetric PSD operator; <paramref name="totalEnergy"/> is the denominator of the explained energy.</summary>
    public SubspaceBasis Compute(ISymmetricOperator op, double totalEnergy, BasisOptions options, SubspaceBasis? previous = null)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(options);
        int d = op.Dimension;
        int kMax = options.RankCap(d);
        Validate(options, d, kMax);
        int s = Math.Min(d, kMax + options.Oversampling);

        var q = new double[d * s];
        int warm = StartBlock(q, d, s, options.Seed, previous);
        _backend.OrthonormalizeColumns(d, s, q);
        var y = new double[d * s];
        op.Apply(q, s, y);
        var z = new double[d * s];
        var h = new double[s * s];
        var theta = new double[s];
        var ritz = new double[d * s];
        double[]? previousTop = warm > 0 ? TopRows(q, d, s, Math.Min(warm, kMax)) : null;
        int iterations = 0;
        bool converged = false;
        int k = kMax;
        while (iterations < options.MaxIterations)
        {
            iterations++;
            y.CopyTo(q, 0);
            _backend.OrthonormalizeColumns(d, s, q);
            op.Apply(q, s, z);
            _backend.Gemm(Transpose.Yes, Transpose.No, s, s, d, 1.0, q, s, z, s, 0.0, h, s);
            DenseMath.Symmetrize(h, s);
            _backend.SymmetricEigen(s, h, theta);
            ReverseColumns(h, theta, s);

            // Ritz vectors V = Q·W and C·V = Z·W (the next iteration's block), descending Ritz values.
            _backend.Gemm(Transpose.No, Transpose.No, d, s, s, 1.0, q, s, h, s, 0.0, ritz, s);
            _backend.Gemm(Transpose.No, Transpose.No, d, s, s, 1.0, z, s, h, s, 0.0, y, s);
            k = options.Rank ?? RankForEnergy(theta, totalEnergy, options.EnergyThreshold, kMax);
            var top = TopRows(ritz, d, s, k);
            if (previousTop is not null)
            {
                int common = Math.Min(k, previousTop.Length / d);
                var sines = DenseMath.SquaredSines(top, common, previousTop, previousTop.Length / d, d);
                if (common == k && Math.Sqrt(sines[^1]) <= options.Tolerance)
                {
                    converged = true;
                    break;
                }
            }

            previousTop = top;
        }

        return Finish(ritz, theta, d, s, k, totalEnergy, options, previous, iterations, converged) with
        {
            OperatorTrace = op.Trace,
            PreviousCaptured = options.MeasurePreviousCapture && previous is { Rank: > 0 } p && p.Dimension == d ? SubspaceMetrics.CapturedEnergy(op, p.Vectors, p.Rank) : null,
        };
    }

    private static void Validate(BasisOptions options, int d, int kMax)
    {
        var failures = new List<string>();
        if (kMax < 1 || kMax > d)
        {
            failures.Add($"k = {kMax} ({(options.Rank is null ? "MaxRank" : "Rank")}) must be in [1, {d}] for dimension {d}");
        }

        if (options.Oversampling < 0)
        {
            failures.Add($"Oversampling = {options.Oversampling} must be ≥ 0");
        }

        if (options.MaxIterations < 1)
        {
            failures.Add($"MaxIterations = {options.MaxIterations} must be ≥ 1");
        }

        if (!(options.Tolerance > 0))
        {
            failures.Add($"Tolerance = {options.Tolerance} must be > 0");
        }

        if (options.Rank is null && !(options.EnergyThreshold > 0 && options.EnergyThreshold <= 1))
        {
            failures.Add($"EnergyThreshold = {options.EnergyThreshold} must be in (0, 1]");
        }

        if (failures.Count > 0)
        {
            throw new ArgumentException("Invalid basis options: " + string.Join("; ", failures) + ".", nameof(options));
        }
    }

    private static int StartBlock(double[] q, int d, int s, int seed, SubspaceBasis? previous)
    {
        int warm = previous is not null && previous.Dimension == d ? Math.Min(previous.Rank, s) : 0;
        for (int c = 0; c < warm; c++)
        {
            for (int i = 0; i < d; i++)
            {
                q[(i * s) + c] = previous!.Vectors[(c * d) + i];
            }
        }

        var random = new Random(seed);
        for (int i = 0; i < d; i++)
        {
            for (int c = warm; c < s; c++)
            {
                q[(i * s) + c] = Gaussians.Next(random);
            }
        }

        return warm;
    }

    private static void ReverseColumns(double[] w, double[] values, int s)
    {
        Array.Reverse(values, 0, s);
        for (int i = 0; i < s; i++)
        {
            Array.Reverse(w, i * s, s);
        }
    }

    private static double[] TopRows(double[] block, int d, int s, int k)
    {
        var rows = new double[k * d];
        for (int i = 0; i < d; i++)
        {
            for (int c = 0; c < k; c++)
            {
                rows[(c * d) + i] = block[(i * s) + c];
            }
        }

        return rows;
    }

    private static int RankForEnergy(double[] theta, double totalEnergy, double tau, int kMax)
    {
        double cumulative = 0;
        for (int k = 1; k <= kMax; k++)
        {
            cumulative += Math.Max(theta[k - 1], 0);
            if (totalEnergy > 0 && cumulative / totalEnergy >= tau)
            {
                return k;
            }
        }

        return kMax;
    }

    private SubspaceBasis Finish(double[] ritz, double[] theta, int d, int s, int k, double totalEnergy, BasisOptions options,
        SubspaceBasis? previous, int iterations, bool converged)
    {
        var top = TopRows(ritz, d, s, k);
        EigenvectorSigns.LargestEntryPositive(top, k, d);
        var rotation = Procrustes.AlignIfAsked(top, k, d, options, previous);

        var vectors = new float[k * d];
        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (float)top[i];
        }

        var singular = new double[k];
        double captured = 0;
        for (int i = 0; i < k; i++)
        {
            singular[i] = Math.Sqrt(Math.Max(theta[i], 0));
            captured += Math.Max(theta[i], 0);
        }

        double? sinPrevious = previous is not null && previous.Dimension == d
            ? SubspaceMetrics.SinThetaMax(vectors, k, previous.Vectors, previous.Rank, d)
            : null;
        bool capReached = options.Rank is null && (totalEnergy <= 0 || captured / totalEnergy < options.EnergyThreshold);
        return new SubspaceBasis(k, d, vectors, singular, totalEnergy > 0 ? captured / totalEnergy : 0, 0, sinPrevious,
            iterations, converged, capReached, options.Centred, rotation.Length > 0, 0, 0) { Alignment = rotation };
    }
}

using System.Buffers;
using System.Numerics.Tensors;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// Measures a model's held-out capture before a slice absorbs it: the share of the energy of its samples (the m rows
/// of ΔW in rows mode, its n columns in columns mode; about the basis's mean when the basis is centred) that the
/// layer's current basis V (k×d orthonormal rows) captures, ‖(X − 1μᵀ)Vᵀ‖²_F / ‖X − 1μᵀ‖²_F. A LoRA update
/// ΔW = s·B·A is measured through its factors only: rows ‖ΔW·Vᵀ‖² = s²·Σ(BᵀB)⊙(YYᵀ) with Y = A·Vᵀ (r×k), columns
/// ‖V·ΔW‖² = s²·Σ(ZᵀZ)⊙(AAᵀ) with Z = V·B (k×r), ‖ΔW‖² = s²·Σ(BᵀB)⊙(AAᵀ); the products are r×r, the largest
/// one r·k·d (dense: N·k·d, one GEMM). Holds one basis version (the slice's copy of its coordinator's latest), swapped
/// whole, so a measurement on a worker thread sees one version throughout while the grain takes a newer one.
/// </summary>
public sealed class HeldOutMeter(IBlasBackend backend)
{
    private readonly IBlasBackend _backend = backend ?? throw new ArgumentNullException(nameof(backend));
    private volatile Held? _held;

    /// <summary>The version of the basis held; 0 when none.</summary>
    public int Version => _held?.Version ?? 0;

    /// <summary>
    /// Holds <paramref name="basis"/> when it is newer than the one held and usable here (rows or columns mode, vectors
    /// present); returns whether it was taken. The arrays are kept, not copied (wire types are immutable).
    /// </summary>
    public bool Use(LayerBasis? basis)
    {
        if (basis is not { Info: { Mode: not SketchMode.Flattened, Rank: > 0 } info } || info.Version <= Version
            || basis.Vectors.Length < (long)info.Rank * basis.Dimension)
        {
            return false;
        }

        var mean = info.Centered && basis.Mean is { Length: > 0 } m && m.Length == basis.Dimension ? m : null;
        _held = new Held(basis.Vectors, mean, info.Rank, basis.Dimension, info.Version);
        return true;
    }

    /// <summary>Forgets the basis (the slice was emptied).</summary>
    public void Clear() => _held = null;

    /// <summary>
    /// Captured and total energy of <paramref name="count"/> dense samples (<paramref name="samples"/>, count×d row-major:
    /// the rows of ΔW in rows mode, the rows of ΔWᵀ in columns mode); null when no basis of dimension d is held.
    /// </summary>
    public HeldOutSample? MeasureDense(ReadOnlySpan<float> samples, int count)
    {
        if (_held is not { } held || count < 1 || samples.Length != (long)count * held.Dimension)
        {
            return null;
        }

        int d = held.Dimension, k = held.Rank;

        var projected = ArrayPool<float>.Shared.Rent(count * k);
        try
        {
            var y = projected.AsSpan(0, count * k);
            _backend.Gemm(Transpose.No, Transpose.Yes, count, k, d, 1f, samples, d, held.Vectors.AsSpan(0, k * d), d, 0f, y, k);
            double captured = SumOfSquares(y), energy = SumOfSquares(samples);
            if (held.Mean is { } mean)
            {
                var projectedSum = new double[k];
                for (int i = 0; i < count; i++)
                {
                    for (int j = 0; j < k; j++)
                    {
                        projectedSum[j] += y[(i * k) + j];
                    }
                }

                var sum = new float[d];
                for (int i = 0; i < count; i++)
                {
                    TensorPrimitives.Add(sum, samples.Slice(i * d, d), sum);
                }

                (captured, energy) = Centre(held, captured, energy, projectedSum, Dot(sum, mean), count, mean);
            }

            return new HeldOutSample(Math.Max(0, captured), Math.Max(0, energy), held.Version);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(projected);
        }
    }

    /// <summary>
    /// Captured and total energy of the LoRA update <paramref name="lora"/> along <paramref name="axis"/> (its rows or its
    /// columns), from the factors; null when no basis of the matching dimension is held.
    /// </summary>
    public HeldOutSample? MeasureLora(LoraFactors lora, SketchAxis axis)
    {
        ArgumentNullException.ThrowIfNull(lora);
        int m = lora.OutFeatures, r = lora.Rank, n = lora.InFeatures;
        if (_held is not { } held || held.Dimension != (axis == SketchAxis.Rows ? n : m))
        {
            return null;
        }

        int k = held.Rank, d = held.Dimension;

        double s = lora.Scale;
        var loraB = lora.B.Span;
        var loraA = lora.A.Span;
        var bb = Gram(loraB, m, r, columns: true);  // BᵀB (r×r)
        var aa = Gram(loraA, r, n, columns: false); // AAᵀ (r×r)
        var vectors = held.Vectors.AsSpan(0, k * d);
        var product = ArrayPool<float>.Shared.Rent(r * k);
        try
        {
            var y = product.AsSpan(0, r * k);
            double captured;
            int count;
            if (axis == SketchAxis.Rows)
            {
                _backend.Gemm(Transpose.No, Transpose.Yes, r, k, n, 1f, loraA, n, vectors, d, 0f, y, k); // Y = A·Vᵀ (r×k)
                captured = Contract(bb, OuterGram(y, r, k), r);
                count = m;
            }
            else
            {
                _backend.Gemm(Transpose.Yes, Transpose.Yes, r, k, m, 1f, loraB, r, vectors, d, 0f, y, k); // Zᵀ = Bᵀ·Vᵀ (r×k)
                captured = Contract(OuterGram(y, r, k), aa, r);
                count = n;
            }

            captured *= s * s;
            double energy = s * s * Contract(bb, aa, r);
            if (held.Mean is { } mean)
            {
                // Rows: the sum of the m rows is s·(1ᵀB)·A; columns: the sum of the n columns is s·B·(A1).
                var ones = axis == SketchAxis.Rows ? ColumnSums(loraB, m, r) : RowSums(loraA, r, n);
                var projectedSum = new double[k];
                for (int j = 0; j < k; j++)
                {
                    for (int a = 0; a < r; a++)
                    {
                        projectedSum[j] += s * ones[a] * y[(a * k) + j];
                    }
                }

                // t·μ: rows (1ᵀB)·(Aμ), columns (μᵀB)·(A1).
                double sumDotMean = 0;
                for (int a = 0; a < r; a++)
                {
                    double other = axis == SketchAxis.Rows ? Dot(loraA.Slice(a * n, n), mean) : StridedDot(loraB, a, r, m, mean);
                    sumDotMean += s * ones[a] * other;
                }

                (captured, energy) = Centre(held, captured, energy, projectedSum, sumDotMean, count, mean);
            }

            return new HeldOutSample(Math.Max(0, captured), Math.Max(0, energy), held.Version);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(product);
        }
    }

    /// <summary>
    /// ‖(X − 1μᵀ)Vᵀ‖² = ‖XVᵀ‖² − 2·(1ᵀXVᵀ)·(Vμ) + N‖Vμ‖² and ‖X − 1μᵀ‖² = ‖X‖² − 2·(1ᵀX)·μ + N‖μ‖².
    /// </summary>
    private static (double Captured, double Energy) Centre(Held held, double captured, double energy, double[] projectedSum, double sumDotMean, int count, float[] mean)
    {
        int k = held.Rank, d = held.Dimension;
        double meanNorm = Dot(mean, mean), crossProjected = 0, projectedMeanNorm = 0;
        for (int j = 0; j < k; j++)
        {
            double vm = Dot(held.Vectors.AsSpan(j * d, d), mean);
            crossProjected += projectedSum[j] * vm;
            projectedMeanNorm += vm * vm;
        }

        return (captured - (2 * crossProjected) + (count * projectedMeanNorm), energy - (2 * sumDotMean) + (count * meanNorm));
    }

    /// <summary>XᵀX of the columns (r×r from an m×r matrix) or XXᵀ of the rows (r×r from an r×n matrix), one GEMM.</summary>
    private double[] Gram(ReadOnlySpan<float> x, int rows, int cols, bool columns)
    {
        int r = columns ? cols : rows, inner = columns ? rows : cols;
        var g = new float[r * r];
        if (columns)
        {
            _backend.Gemm(Transpose.Yes, Transpose.No, r, r, inner, 1f, x, cols, x, cols, 0f, g, r);
        }
        else
        {
            _backend.Gemm(Transpose.No, Transpose.Yes, r, r, inner, 1f, x, cols, x, cols, 0f, g, r);
        }

        return Array.ConvertAll(g, v => (double)v);
    }

    /// <summary>Y·Yᵀ (r×r) of an r×k matrix, float64.</summary>
    private double[] OuterGram(ReadOnlySpan<float> y, int r, int k) => Gram(y, r, k, columns: false);

    /// <summary>Σ X⊙Y of two r×r matrices.</summary>
    private static double Contract(double[] x, double[] y, int r)
    {
        double sum = 0;
        for (int i = 0; i < r * r; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    private static double[] ColumnSums(ReadOnlySpan<float> x, int rows, int cols)
    {
        var sums = new double[cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                sums[j] += x[(i * cols) + j];
            }
        }

        return sums;
    }

    private static double[] RowSums(ReadOnlySpan<float> x, int rows, int cols)
    {
        var sums = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            double sum = 0;
            foreach (var v in x.Slice(i * cols, cols))
            {
                sum += v;
            }

            sums[i] = sum;
        }

        return sums;
    }

    /// <summary>Σ_i x[i·stride + column]·y[i] over <paramref name="count"/> rows.</summary>
    private static double StridedDot(ReadOnlySpan<float> x, int column, int stride, int count, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += (double)x[(i * stride) + column] * y[i];
        }

        return sum;
    }

    private static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => TensorPrimitives.Dot(x, y);

    private static double SumOfSquares(ReadOnlySpan<float> x) => Dot(x, x);

    /// <summary>One basis version as the meter uses it: k×d rows, the mean when centred.</summary>
    private sealed record Held(float[] Vectors, float[]? Mean, int Rank, int Dimension, int Version);
}

/// <summary>One model's held-out measurement: the energy of its samples and the part the basis captured.</summary>
/// <param name="Captured">‖(X − 1μᵀ)Vᵀ‖²_F.</param>
/// <param name="Energy">‖X − 1μᵀ‖²_F.</param>
/// <param name="Version">The basis version measured against.</param>
public readonly record struct HeldOutSample(double Captured, double Energy, int Version);

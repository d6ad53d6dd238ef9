using System.Numerics.Tensors;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Metrics;

/// <summary>
/// The energy of a layer update's samples and the part of it that a basis V (k×d, orthonormal rows) captures:
/// ‖(X − 1μᵀ)Vᵀ‖²_F and ‖X − 1μᵀ‖²_F, where X holds the samples as rows (the m rows of ΔW along
/// <see cref="SketchAxis.Rows"/>, its n columns along <see cref="SketchAxis.Columns"/>) and μ is the basis's mean when it
/// is centred. A LoRA update ΔW = s·B·A is measured through its factors only: rows ‖ΔW·Vᵀ‖² = s²·Σ(BᵀB)⊙(YYᵀ) with
/// Y = A·Vᵀ (r×k), columns ‖V·ΔW‖² = s²·Σ(ZZᵀ)⊙(AAᵀ) with Z = Bᵀ·Vᵀ (r×k), ‖ΔW‖² = s²·Σ(BᵀB)⊙(AAᵀ). Products of
/// contiguous rows (A's rows with each other and with the basis) are short and wide (r, k ≪ d), so they run on the host
/// dot-product kernel in float64 sums rather than a GEMM, which would pack both operands for a product smaller than the
/// packing; BᵀB runs on the small-Gram kernel; scratch comes from the pool.
/// </summary>
public static class CapturedEnergy
{
    /// <summary>
    /// The energy of <paramref name="lora"/> along <paramref name="axis"/> and the part the k×d basis
    /// <paramref name="vectors"/> captures, about <paramref name="mean"/> (length d) when it is not empty. Along the rows
    /// the products are A's rows against each other and against the basis (the host kernel); along the columns B's columns
    /// against the basis are one GEMM on <paramref name="backend"/>, which reads B's strided columns without a transposed copy.
    /// </summary>
    /// <exception cref="ArgumentException">A factor's length disagrees with its shape, or the basis or mean with d.</exception>
    public static EnergySplit OfLora(IBlasBackend backend, LoraFactors lora, SketchAxis axis, ReadOnlySpan<float> vectors, int k, ReadOnlySpan<float> mean = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(lora);
        int m = lora.OutFeatures, r = lora.Rank, n = lora.InFeatures;
        bool rows = axis == SketchAxis.Rows;
        int d = rows ? n : m, count = rows ? m : n;
        lora.CheckShape(d, axis);
        CheckBasis(vectors, k, d, mean);

        double s = lora.Scale;
        var loraB = lora.B.Span;
        var loraA = lora.A.Span;
        using var scratch = new PooledArray<double>((4 * r * r) + (2 * r * k) + (3 * r) + k);
        var all = scratch.Span;
        var bb = all[..(r * r)];                    // BᵀB
        var aa = all.Slice(r * r, r * r);           // AAᵀ
        var projected = all.Slice(2 * r * r, r * k); // Y = A·Vᵀ (rows) or Z = Bᵀ·Vᵀ (columns), r×k
        var outer = all.Slice((2 * r * r) + (r * k), r * r);
        var ones = all.Slice((3 * r * r) + (r * k), r);      // 1ᵀB (rows) or A·1 (columns)
        var other = all.Slice((3 * r * r) + (r * k) + r, r); // A·μ (rows) or Bᵀμ (columns)
        var vm = all.Slice((3 * r * r) + (r * k) + (2 * r), k);

        ones.Clear();
        SmallGram.Compute(loraB, m, r, centre: default, alpha: 1, bb, columnSums: rows ? ones : default);
        RowBlockProducts.Gram(backend, loraA, r, n, aa);
        if (rows)
        {
            RowBlockProducts.Cross(loraA, r, vectors, k, d, projected);
        }
        else
        {
            BackendProduct(backend, r, k, m, loraB, vectors, d, projected);
        }

        Dots(projected, r, k, outer);
        double captured = s * s * Contract(rows ? bb : aa, outer);
        double energy = s * s * Contract(bb, aa);
        if (mean.IsEmpty)
        {
            return new EnergySplit(Math.Max(0, captured), Math.Max(0, energy));
        }

        // The sum of the samples is s·(1ᵀB)·A (rows) or s·B·(A1) (columns); its projection s·Σ_a ones[a]·projected[a].
        if (rows)
        {
            RowBlockProducts.Cross(loraA, r, mean, 1, d, other);
        }
        else
        {
            for (int a = 0; a < r; a++)
            {
                ones[a] = Sum(loraA.Slice(a * n, n));
            }

            BackendProduct(backend, r, 1, m, loraB, mean, d, other);
        }

        RowBlockProducts.Cross(vectors, k, mean, 1, d, vm);
        double sumDotMean = 0, crossProjected = 0;
        for (int a = 0; a < r; a++)
        {
            sumDotMean += s * ones[a] * other[a];
            for (int j = 0; j < k; j++)
            {
                crossProjected += s * ones[a] * projected[(a * k) + j] * vm[j];
            }
        }

        return Centre(captured, energy, crossProjected, vm, sumDotMean, count, mean);
    }

    /// <summary>destination (r × rows, float64) = Bᵀ·Yᵀ for the m×r factor B and rows×m row-major Y (one GEMM, float32).</summary>
    private static void BackendProduct(IBlasBackend backend, int r, int rows, int m, ReadOnlySpan<float> loraB, ReadOnlySpan<float> y, int ldy, Span<double> destination)
    {
        using var single = new PooledArray<float>(r * rows);
        backend.Gemm(Transpose.Yes, Transpose.Yes, r, rows, m, 1f, loraB, r, y, ldy, 0f, single.Span, rows);
        for (int i = 0; i < r * rows; i++)
        {
            destination[i] = single.Span[i];
        }
    }

    /// <summary>
    /// The part of an update's energy the k×d basis <paramref name="vectors"/> captures (no mean), from ≤ r rows R that
    /// carry its covariance (RᵀR = XᵀX, <see cref="FormedRowsHandler"/>): ‖X·Vᵀ‖² = ‖R·Vᵀ‖², one r×k product of contiguous
    /// rows on the host kernel; <paramref name="energy"/> (‖R‖² = ‖X‖²) is passed through.
    /// </summary>
    /// <exception cref="ArgumentException">The rows or basis disagree with count and d, or the energy is negative or not finite.</exception>
    public static EnergySplit OfCovarianceRows(ReadOnlySpan<float> rows, int count, double energy, ReadOnlySpan<float> vectors, int k, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Guard.Length(nameof(rows), rows.Length, (long)count * d, $"{count} rows of length {d}");
        CheckBasis(vectors, k, d, default);
        if (!double.IsFinite(energy) || energy < 0)
        {
            throw new ArgumentException($"Energy is {energy}; it must be finite and non-negative.", nameof(energy));
        }

        if (count == 0)
        {
            return new EnergySplit(0, energy);
        }

        using var projected = new PooledArray<double>(count * k);
        RowBlockProducts.Cross(rows, count, vectors, k, d, projected.Span);
        return new EnergySplit(TensorPrimitives.SumOfSquares<double>(projected.Span), energy);
    }

    /// <summary>
    /// The energy of <paramref name="count"/> dense samples (count×d row-major) and the part the k×d basis
    /// <paramref name="vectors"/> captures, about <paramref name="mean"/> when it is not empty: one GEMM of the samples
    /// against the basis on <paramref name="backend"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The samples, basis or mean disagree with count and d.</exception>
    public static EnergySplit OfRows(IBlasBackend backend, ReadOnlySpan<float> samples, int count, ReadOnlySpan<float> vectors, int k, int d, ReadOnlySpan<float> mean = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Positive(nameof(count), count);
        Guard.Length(nameof(samples), samples.Length, (long)count * d, $"{count} samples of length {d}");
        CheckBasis(vectors, k, d, mean);

        using var projected = new PooledArray<float>(count * k);
        var y = projected.Span;
        backend.Gemm(Transpose.No, Transpose.Yes, count, k, d, 1f, samples, d, vectors[..(k * d)], d, 0f, y, k);
        double captured = RowKernels.SumOfSquares(y), energy = RowKernels.SumOfSquares(samples[..(count * d)]);
        if (mean.IsEmpty)
        {
            return new EnergySplit(Math.Max(0, captured), Math.Max(0, energy));
        }

        using var sums = new PooledArray<double>(d + (2 * k), clear: true);
        var sum = sums.Span[..d];
        var projectedSum = sums.Span.Slice(d, k);
        var vm = sums.Span.Slice(d + k, k);
        for (int i = 0; i < count; i++)
        {
            RowKernels.AddScaled(samples.Slice(i * d, d), 1, sum);
            for (int j = 0; j < k; j++)
            {
                projectedSum[j] += y[(i * k) + j];
            }
        }

        RowBlockProducts.Cross(vectors, k, mean, 1, d, vm);
        double sumDotMean = 0, crossProjected = 0;
        for (int j = 0; j < d; j++)
        {
            sumDotMean += sum[j] * mean[j];
        }

        for (int j = 0; j < k; j++)
        {
            crossProjected += projectedSum[j] * vm[j];
        }

        return Centre(captured, energy, crossProjected, vm, sumDotMean, count, mean);
    }

    /// <summary>
    /// ‖(X − 1μᵀ)Vᵀ‖² = ‖XVᵀ‖² − 2·(1ᵀXVᵀ)·(Vμ) + N‖Vμ‖² and ‖X − 1μᵀ‖² = ‖X‖² − 2·(1ᵀX)·μ + N‖μ‖².
    /// </summary>
    private static EnergySplit Centre(double captured, double energy, double crossProjected, ReadOnlySpan<double> vm, double sumDotMean, int count, ReadOnlySpan<float> mean)
    {
        double projectedMeanNorm = 0;
        foreach (var v in vm)
        {
            projectedMeanNorm += v * v;
        }

        captured += (count * projectedMeanNorm) - (2 * crossProjected);
        energy += (count * RowKernels.SumOfSquares(mean)) - (2 * sumDotMean);
        return new EnergySplit(Math.Max(0, captured), Math.Max(0, energy));
    }

    private static void CheckBasis(ReadOnlySpan<float> vectors, int k, int d, ReadOnlySpan<float> mean)
    {
        Guard.Positive(nameof(k), k);
        Guard.AtLeast(nameof(vectors), vectors.Length, (long)k * d, $"a {k}×{d} basis");
        if (!mean.IsEmpty)
        {
            Guard.Length(nameof(mean), mean.Length, d, $"a mean of length {d}");
        }
    }

    /// <summary>destination (r×r) = P·Pᵀ of the r×k float64 block P.</summary>
    private static void Dots(ReadOnlySpan<double> p, int r, int k, Span<double> destination)
    {
        for (int a = 0; a < r; a++)
        {
            for (int b = a; b < r; b++)
            {
                double sum = 0;
                for (int j = 0; j < k; j++)
                {
                    sum += p[(a * k) + j] * p[(b * k) + j];
                }

                destination[(a * r) + b] = sum;
                destination[(b * r) + a] = sum;
            }
        }
    }

    private static double Sum(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (var v in x)
        {
            sum += v;
        }

        return sum;
    }

    /// <summary>Σ X⊙Y of two equally long matrices.</summary>
    private static double Contract(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }
}

/// <summary>The energy of a set of samples and the part of it a basis captures.</summary>
/// <param name="Captured">‖(X − 1μᵀ)Vᵀ‖²_F.</param>
/// <param name="Energy">‖X − 1μᵀ‖²_F.</param>
public readonly record struct EnergySplit(double Captured, double Energy);

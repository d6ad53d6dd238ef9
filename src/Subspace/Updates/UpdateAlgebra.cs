using System.Runtime.Intrinsics;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Subspace.Updates;

/// <summary>
/// Frobenius algebra on <see cref="LayerUpdate"/>s through an <see cref="IBlasBackend"/>. Factored operands stay
/// factored: ⟨s·B·A, t·D·C⟩ = s·t·Σ (BᵀD) ⊙ (A·Cᵀ) costs r×r products, never the m×n product. Gram-type
/// products accumulate in float64 so that small relative errors (≈1e-4) stay resolvable.
/// </summary>
public static class UpdateAlgebra
{
    /// <summary>ΔW as m×n values (a copy for a dense update; s·B·A by one GEMM for a factored one).</summary>
    public static float[] ToDense(LayerUpdate update, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(backend);
        if (!update.IsFactored)
        {
            return (float[])update.DenseValues!.Clone();
        }

        int m = update.OutFeatures, n = update.InFeatures, r = update.Rank;
        var result = new float[(long)m * n];
        backend.Gemm(Transpose.No, Transpose.No, m, n, r, update.Scale, update.B, r, update.A, n, 0f, result, n);
        return result;
    }

    /// <summary>⟨X, Y⟩_F = Σᵢⱼ XᵢⱼYᵢⱼ.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static double Inner(LayerUpdate x, LayerUpdate y, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(backend);
        if (!x.SameShape(y))
        {
            throw new ArgumentException($"Updates of shapes {x.ShapeText} and {y.ShapeText} have no inner product.", nameof(y));
        }

        int m = x.OutFeatures, n = x.InFeatures;
        if (x.IsFactored && y.IsFactored)
        {
            int rx = x.Rank, ry = y.Rank;
            var bx = Widen(x.B!);
            var by = Widen(y.B!);
            var ax = Widen(x.A!);
            var ay = Widen(y.A!);
            var left = new double[rx * ry];
            var right = new double[rx * ry];
            backend.Gemm(Transpose.Yes, Transpose.No, rx, ry, m, 1.0, bx, rx, by, ry, 0.0, left, ry);
            backend.Gemm(Transpose.No, Transpose.Yes, rx, ry, n, 1.0, ax, n, ay, n, 0.0, right, ry);
            return (double)x.Scale * y.Scale * Dot(left, right);
        }

        if (x.IsFactored || y.IsFactored)
        {
            var (f, d) = x.IsFactored ? (x, y) : (y, x);
            int r = f.Rank;
            var bt = new float[(long)r * n];
            backend.Gemm(Transpose.Yes, Transpose.No, r, n, m, 1f, f.B, r, d.DenseValues, n, 0f, bt, n);
            return f.Scale * Dot(bt, f.A!);
        }

        return Dot(x.DenseValues!, y.DenseValues!);
    }

    /// <summary>‖X‖_F².</summary>
    public static double SquaredNorm(LayerUpdate x, IBlasBackend backend) => Inner(x, x, backend);

    /// <summary>‖X − Y‖_F, from ‖X‖² − 2⟨X,Y⟩ + ‖Y‖² (clamped at 0).</summary>
    public static double Distance(LayerUpdate x, LayerUpdate y, IBlasBackend backend)
    {
        if (!x.IsFactored && !y.IsFactored)
        {
            ArgumentNullException.ThrowIfNull(backend);
            if (!x.SameShape(y))
            {
                throw new ArgumentException($"Updates of shapes {x.ShapeText} and {y.ShapeText} have no distance.", nameof(y));
            }

            double sum = 0;
            var a = x.DenseValues!;
            var b = y.DenseValues!;
            for (int i = 0; i < a.Length; i++)
            {
                double t = (double)a[i] - b[i];
                sum += t * t;
            }

            return Math.Sqrt(sum);
        }

        double squared = SquaredNorm(x, backend) - (2 * Inner(x, y, backend)) + SquaredNorm(y, backend);
        return Math.Sqrt(Math.Max(0, squared));
    }

    /// <summary>‖truth − approximation‖_F / ‖truth‖_F; 0 when both are zero, +∞ when only the truth is.</summary>
    public static double RelativeError(LayerUpdate truth, LayerUpdate approximation, IBlasBackend backend)
    {
        double norm = Math.Sqrt(SquaredNorm(truth, backend));
        double distance = Distance(truth, approximation, backend);
        return norm > 0 ? distance / norm : distance == 0 ? 0 : double.PositiveInfinity;
    }

    /// <summary>
    /// Σᵢ wᵢ·Xᵢ. When every Xᵢ is factored the result is factored by concatenation (B = [w₁s₁B₁ … ], A = [A₁; …],
    /// rank Σrᵢ, scale 1): exact, and the m×n product is never formed. Otherwise the result is dense.
    /// </summary>
    /// <exception cref="ArgumentException">No updates, a count mismatch or different shapes.</exception>
    public static LayerUpdate LinearCombination(IReadOnlyList<double> weights, IReadOnlyList<LayerUpdate> updates, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(backend);
        if (updates.Count == 0 || weights.Count != updates.Count)
        {
            throw new ArgumentException($"{weights.Count} weights for {updates.Count} updates; both must be equal and positive.", nameof(weights));
        }

        var first = updates[0];
        if (updates.FirstOrDefault(u => !u.SameShape(first)) is { } odd)
        {
            throw new ArgumentException($"Updates of shapes {first.ShapeText} and {odd.ShapeText} cannot be combined.", nameof(updates));
        }

        int m = first.OutFeatures, n = first.InFeatures;
        if (updates.All(u => u.IsFactored))
        {
            int rank = updates.Sum(u => u.Rank);
            var b = new float[(long)m * rank];
            var a = new float[(long)rank * n];
            int offset = 0;
            for (int t = 0; t < updates.Count; t++)
            {
                var u = updates[t];
                float w = (float)(weights[t] * u.Scale);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < u.Rank; j++)
                    {
                        b[((long)i * rank) + offset + j] = w * u.B![(i * u.Rank) + j];
                    }
                }

                u.A.AsSpan().CopyTo(a.AsSpan((int)((long)offset * n)));
                offset += u.Rank;
            }

            return LayerUpdate.Factored(m, rank, n, b, a);
        }

        var sum = new float[(long)m * n];
        for (int t = 0; t < updates.Count; t++)
        {
            var u = updates[t];
            if (u.IsFactored)
            {
                backend.Gemm(Transpose.No, Transpose.No, m, n, u.Rank, (float)(weights[t] * u.Scale), u.B, u.Rank, u.A, n, 1f, sum, n);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(u.DenseValues!, (float)weights[t], sum, sum);
            }
        }

        return LayerUpdate.Dense(m, n, sum);
    }

    internal static double[] Widen(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }

    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>Σ x[i]·y[i] with float64 products and sums, eight lanes at a time (a basis row is thousands long).</summary>
    internal static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var low = Vector256<double>.Zero;
        var high = Vector256<double>.Zero;
        int i = 0;
        for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
        {
            var (a0, a1) = Vector256.Widen(Vector256.Create(x.Slice(i, Vector256<float>.Count)));
            var (b0, b1) = Vector256.Widen(Vector256.Create(y.Slice(i, Vector256<float>.Count)));
            low = Vector256.FusedMultiplyAdd(a0, b0, low);
            high = Vector256.FusedMultiplyAdd(a1, b1, high);
        }

        double sum = Vector256.Sum(low + high);
        for (; i < x.Length; i++)
        {
            sum += (double)x[i] * y[i];
        }

        return sum;
    }
}

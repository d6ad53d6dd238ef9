using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The shrink step of Frequent Directions as a pure building block, so that a layer split by columns over
/// several holders shrinks in a coordinated way: every slice s contributes B_sB_sᵀ, the sum (= B·Bᵀ of the
/// whole buffer) is eigendecomposed once by <see cref="Plan"/>, and each slice applies the same
/// <see cref="ShrinkPlan"/> with <see cref="Apply"/>. The concatenated slices then equal single-node FD.
/// </summary>
public static class FrequentDirectionsShrink
{
    /// <summary>
    /// Computes the shrink of a buffer with <paramref name="activeRows"/> rows from its Gram (activeRows×activeRows,
    /// row-major float64, e.g. the sum of the slices' Grams): δ = λ_{ℓ+1} (the (ℓ+1)-th largest, 0 when activeRows ≤ ℓ),
    /// and the top ℓ directions are kept with energies λᵢ − δ. Every shrink removes Σᵢ min(λᵢ, δ) ≥ (ℓ + 1)·δ of energy,
    /// so the certificate Σδ ≤ ‖A − A_k‖_F²/(ℓ + 1 − k) — tighter than the ℓ − k of the form that keeps ℓ − 1 rows
    /// (δ = λ_ℓ) — and a full 2ℓ buffer takes exactly ℓ new rows between shrinks (whole LoRA blocks when r divides ℓ,
    /// and GEMM shapes of whole register tiles). The eigen-solve itself is float32 (see the remark in the body).
    /// </summary>
    public static ShrinkPlan Plan(IBlasBackend backend, ReadOnlySpan<double> gram, int activeRows, int ell)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Guard.Positive(nameof(activeRows), activeRows);
        if (ell < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(ell), ell, "ℓ must be at least 2.");
        }

        Guard.Length(nameof(gram), gram.Length, (long)activeRows * activeRows, $"a {activeRows}×{activeRows} Gram");
        int limit = Math.Min(ell, activeRows);
        var rotation = new float[limit * activeRows];
        var (outRows, delta, retained) = Solve(backend, gram, activeRows, ell, rotation);
        return new ShrinkPlan(outRows < limit ? rotation[..(outRows * activeRows)] : rotation, activeRows, outRows, delta) { RetainedEnergies = retained };
    }

    /// <summary>
    /// <see cref="Plan"/> into a caller's buffer (a sketch's own shrink, which applies it at once): the rotation's first
    /// OutRows rows of <paramref name="activeRows"/> land in <paramref name="rotation"/> (at least min(ℓ, activeRows) ×
    /// activeRows), the arguments already checked.
    /// </summary>
    internal static (int OutRows, double Delta, double[] Retained) Solve(IBlasBackend backend, ReadOnlySpan<double> gram, int activeRows, int ell, Span<float> rotation)
    {
        // The eigen-solve runs in float32: the Gram is a float32 product of float32 rows, so its entries carry float32
        // rounding already and a float64 solve adds no accuracy (the numerics tests' bounds hold unchanged; the
        // benchmark's sin θ to the planted basis is the same) while costing 1.7× as much (2ℓ = 128 on OpenBLAS). δ, the factors and the
        // certificate are then formed in float64.
        int n = activeRows;
        int limit = Math.Min(ell, n);
        int valueCount = Math.Min(ell + 1, n);
        using var matrix = new PooledArray<float>(n * n);
        using var values = new PooledArray<float>(valueCount);
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(gram, matrix.Span);

        // Only the top ℓ + 1 values and ℓ vectors are used: the backend may solve for just those. The vectors land in
        // the rotation's rows, which are then scaled in place.
        backend.SymmetricEigenTop(n, matrix.Span, valueCount, limit, values.Span, rotation[..(limit * n)]);

        // Descending: the (ℓ+1)-th largest is values[ℓ].
        double delta = n > ell ? Math.Max(values.Span[ell], 0) : 0;
        int outRows = 0;
        while (outRows < limit && values.Span[outRows] - delta > 0)
        {
            outRows++;
        }

        var retained = new double[outRows];
        for (int i = 0; i < outRows; i++)
        {
            double lambda = values.Span[i];
            retained[i] = lambda - delta;
            var row = rotation.Slice(i * n, n);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, (float)Math.Sqrt((lambda - delta) / lambda), row);
        }

        return (outRows, delta, retained);
    }

    /// <summary>Applies <paramref name="plan"/> to one slice's buffer: B_s[0:OutRows] ← M·B_s[0:ActiveRows], the rest zeroed.</summary>
    public static void Apply(ISketchWorkspace slice, ShrinkPlan plan)
    {
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.ActiveRows > slice.Rows)
        {
            throw new ArgumentException($"The plan covers {plan.ActiveRows} rows but the slice buffer has only {slice.Rows}.", nameof(plan));
        }

        slice.RotateRows(plan.ActiveRows, plan.Rotation, plan.OutRows);
    }
}

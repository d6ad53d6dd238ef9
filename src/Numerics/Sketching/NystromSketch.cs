using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// A linear range sketch Y = C·Ω of the covariance C = Σ x xᵀ (d×s float64, 8·d·s bytes: 2 MB at d = 4096, s = 64, as
/// much as a Frequent Directions buffer with ℓ = s) with the Nyström reconstruction of Tropp, Yurtsever, Udell and
/// Cevher, "Fixed-rank approximation of a positive-semidefinite matrix from streaming data" (NeurIPS 2017), Algorithm 3.
/// Ω (d×s) is one fixed test matrix: Gaussian from a constant seed, orthonormalised, the same for every sketch of that
/// d and s on every node, so sketches merge by adding their Y. Appended rows wait in a float32 block of up to
/// <see cref="MaxPendingRows"/> rows (1 MB) and are folded in with two float64 GEMMs, Y += Xᵀ(X·Ω); every read folds
/// them in first, and a serialisation writes them folded in without folding them into the sketch.
/// <para>
/// Because Y is linear in C, a part subtracts exactly (<see cref="CovarianceSketch.Subtract"/>): Y falls by the part's
/// C·Ω, which leaves the Y of a sketch that never saw it (up to float64 rounding). That is what Frequent Directions
/// cannot do, and what a deleted model in a large layer needs.
/// </para>
/// <para>
/// The approximation Ĉ = Y(ΩᵀY)⁺Yᵀ has rank ≤ s, is exact when rank C &lt; s, and satisfies 0 ≼ Ĉ ≼ C, so
/// <see cref="Certificate"/> = tr C − tr Ĉ (exact energy less the reconstruction's trace) bounds ‖C − Ĉ‖₂. Unlike
/// Frequent Directions the bound is a posteriori (computed from the reconstruction, not accumulated).
/// </para>
/// </summary>
public sealed class NystromSketch : CovarianceSketch
{
    /// <summary>The seed of every Nyström test matrix Ω (part of the format: sketches made with another Ω do not merge).</summary>
    public const int TestMatrixSeed = 20171204;

    /// <summary>Most rows held back before two float64 GEMMs fold them into Y (fewer for large d: at most <see cref="PendingElements"/> floats).</summary>
    public const int MaxPendingRows = 256;

    /// <summary>Floats of the pending block (1 MB): 64 rows at d = 4096, four rank-16 adapters.</summary>
    private const int PendingElements = 1 << 18;

    private static readonly ConcurrentDictionary<(int Dimension, int Columns), double[]> TestMatrices = new();

    private readonly double[] _omega;
    private double[] _range;
    private float[]? _pending;
    private int _pendingCount;
    private Reconstruction? _reconstruction;

    /// <summary>Creates an empty sketch of rows of length <paramref name="dimension"/> with <paramref name="columns"/> test columns (2 ≤ s ≤ d).</summary>
    public NystromSketch(IBlasBackend backend, int dimension, int columns, MeanMode meanMode)
        : base(backend, dimension, meanMode)
    {
        if (columns < 2 || columns > dimension)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"A Nyström sketch of dimension {dimension} needs 2 ≤ s ≤ {dimension} test columns (an exact Gram is smaller when s ≥ d).");
        }

        if ((long)dimension * columns > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"A {dimension}×{columns} range sketch exceeds the largest .NET array.");
        }

        Columns = columns;
        _omega = SharedTestMatrix(dimension, columns);
        _range = new double[dimension * columns];
    }

    /// <summary>s, the number of test columns (the reconstruction's largest rank).</summary>
    public int Columns { get; }

    /// <inheritdoc />
    public override SketchKind Kind => SketchKind.Nystrom;

    /// <inheritdoc />
    /// <remarks>tr C − tr Ĉ, computed from the reconstruction (cached until the sketch changes).</remarks>
    public override double Certificate => Math.Max(0, TotalEnergy - Reconstruct().Trace);

    /// <inheritdoc />
    private protected override int HeaderEll => Columns;

    /// <inheritdoc />
    private protected override int HeaderRows => 0;

    /// <inheritdoc />
    private protected override int HeaderShrinks => 0;

    /// <inheritdoc />
    /// <remarks>0: the certificate is computed from Y when asked for, never stored (a snapshot need not pay for a reconstruction).</remarks>
    private protected override double HeaderCertificate => 0;

    /// <inheritdoc />
    private protected override int PayloadLength => _range.Length * sizeof(double);

    /// <summary>Copies Y = C·Ω (d×s row-major).</summary>
    public void CopyRange(Span<double> destination)
    {
        ThrowIfDisposed();
        Guard.Length(nameof(destination), destination.Length, _range.Length, $"a {Dimension}×{Columns} range sketch");
        Flush();
        _range.CopyTo(destination);
    }

    /// <summary>
    /// The rows Z of the reconstruction Ĉ = ZᵀZ (rank×d float32): orthogonal, largest first, row i = √λᵢ·uᵢᵀ — what a
    /// merger solves from as it does from Frequent Directions rows (a small Gram), without an iterative solver.
    /// </summary>
    internal float[] ReconstructionRows(out int rank)
    {
        var reconstruction = Reconstruct();
        rank = reconstruction.Rank;
        return Array.ConvertAll(reconstruction.Rows, v => (float)v);
    }

    /// <summary>The test matrix Ω of <paramref name="dimension"/>×<paramref name="columns"/> (row-major, orthonormal columns).</summary>
    public static ReadOnlySpan<double> TestMatrix(int dimension, int columns)
    {
        Guard.Positive(nameof(dimension), dimension);
        Guard.Positive(nameof(columns), columns);
        return SharedTestMatrix(dimension, columns);
    }

    /// <summary>Ω, drawn once per (d, s) and shared by every sketch of that shape (never written after the draw).</summary>
    private static double[] SharedTestMatrix(int dimension, int columns) => TestMatrices.GetOrAdd((dimension, columns), static key =>
    {
        // Drawn and orthonormalised in managed code, never by a backend, so every node of a cluster holds the same Ω.
        var random = new Random(TestMatrixSeed);
        var omega = new double[key.Dimension * key.Columns];
        for (int i = 0; i < omega.Length; i++)
        {
            omega[i] = Gaussians.Next(random);
        }

        HouseholderQr.Orthonormalize(key.Dimension, key.Columns, omega.AsSpan());
        return omega;
    });

    internal static NystromSketch Restore(IBlasBackend backend, in SketchHeader header, ReadOnlySpan<byte> body, double[] sum)
    {
        var range = MemoryMarshal.Cast<byte, double>(body);
        int bad = range.IndexOfAnyExceptInRange(double.MinValue, double.MaxValue);
        if (bad >= 0)
        {
            throw new SketchFormatException($"Sketch blob: the Nyström range sketch holds a non-finite value at row {bad / header.Ell}, column {bad % header.Ell}.");
        }

        var sketch = new NystromSketch(backend, header.Dimension, header.Ell, header.MeanMode);
        range.CopyTo(sketch._range);
        sketch.RestoreState(header, sum);
        return sketch;
    }

    /// <inheritdoc />
    private protected override void AbsorbRows(ReadOnlySpan<float> rows, int count)
    {
        // Allocated with the first append: a restored or subtracted-from sketch that is only read needs none.
        _pending ??= new float[Math.Clamp(PendingElements / Dimension, 1, MaxPendingRows) * Dimension];
        int capacity = _pending.Length / Dimension;
        for (int i = 0; i < count;)
        {
            int take = Math.Min(capacity - _pendingCount, count - i);
            rows.Slice(i * Dimension, take * Dimension).CopyTo(_pending.AsSpan(_pendingCount * Dimension));
            _pendingCount += take;
            i += take;
            if (_pendingCount == capacity)
            {
                Flush();
            }
        }

        _reconstruction = null;
    }

    /// <inheritdoc />
    private protected override void SubtractRows(ReadOnlySpan<float> rows, int count)
    {
        Flush();
        AddRows(rows, count, -1.0, _range);
        _reconstruction = null;
    }

    /// <inheritdoc />
    private protected override void AbsorbSketch(CovarianceSketch other)
    {
        Flush();
        TensorPrimitives.Add(_range, Flushed(other), _range);
        _reconstruction = null;
    }

    /// <inheritdoc />
    private protected override void SubtractSketch(CovarianceSketch other)
    {
        Flush();
        TensorPrimitives.Subtract(_range, Flushed(other), _range);
        _reconstruction = null;
    }

    /// <inheritdoc />
    private protected override void ClearSketch()
    {
        _pendingCount = 0;
        Array.Clear(_range);
        _reconstruction = null;
    }

    /// <inheritdoc />
    private protected override void CheckMergeable(CovarianceSketch other)
    {
        if (((NystromSketch)other).Columns != Columns)
        {
            throw new ArgumentException($"Cannot combine Nyström sketches of s = {((NystromSketch)other).Columns} and s = {Columns} test columns.", nameof(other));
        }
    }

    /// <inheritdoc />
    private protected override ISymmetricOperator CreateSketchedOperator()
    {
        var reconstruction = Reconstruct();
        return new RowGramOperator(Backend, reconstruction.Rows, reconstruction.Rank, Dimension);
    }

    /// <inheritdoc />
    private protected override int WritePayload(Span<byte> destination)
    {
        // The pending rows are folded into the written Y, not into this one: serialising leaves the sketch as it was
        // (see ExactGramSketch.WritePayload).
        var range = MemoryMarshal.Cast<byte, double>(destination[..PayloadLength]);
        _range.CopyTo(range);
        if (_pendingCount > 0)
        {
            AddRows(_pending!, _pendingCount, 1.0, range);
        }

        return PayloadLength;
    }

    /// <inheritdoc />
    private protected override CovarianceSketch CopyCore()
    {
        var copy = new NystromSketch(Backend, Dimension, Columns, MeanMode);
        _range.CopyTo(copy._range, 0);
        if (_pending is not null)
        {
            // The same block size: the copy folds its pending rows in at the same points as the original would.
            copy._pending = new float[_pending.Length];
            _pending.AsSpan(0, _pendingCount * Dimension).CopyTo(copy._pending);
        }

        copy._pendingCount = _pendingCount;
        copy._reconstruction = _reconstruction;
        return copy;
    }

    /// <inheritdoc />
    private protected override void DisposeCore()
    {
        _range = [];
        _pending = null;
        _reconstruction = null;
    }

    /// <summary>Y of <paramref name="other"/> (a Nyström sketch, checked compatible) with its pending rows folded in.</summary>
    private static double[] Flushed(CovarianceSketch other)
    {
        var nystrom = (NystromSketch)other;
        nystrom.Flush();
        return nystrom._range;
    }

    /// <summary>Folds the pending rows into Y.</summary>
    private void Flush()
    {
        if (_pendingCount > 0)
        {
            AddRows(_pending!, _pendingCount, 1.0, _range);
            _pendingCount = 0;
            _reconstruction = null;
        }
    }

    /// <summary>
    /// <paramref name="range"/> += weight·Xᵀ(X·Ω) for <paramref name="count"/> rows X (into Y, or the Y a serialisation
    /// writes), widened once and multiplied in float64 straight into it:
    /// a part subtracted alone then cancels to float64 rounding, however its rows were batched when appended (float32
    /// products leave ~1e-7 of the part behind, which the reconstruction's (ΩᵀY)⁻¹ amplifies).
    /// </summary>
    private void AddRows(ReadOnlySpan<float> rows, int count, double weight, Span<double> range)
    {
        using var wide = new PooledArray<double>(count * Dimension);
        for (int i = 0; i < wide.Length; i++)
        {
            wide.Span[i] = rows[i];
        }

        using var projected = new PooledArray<double>(count * Columns);
        Backend.Gemm(Transpose.No, Transpose.No, count, Columns, Dimension, 1.0, wide.Span, Dimension, _omega, Columns, 0.0, projected.Span, Columns);
        Backend.Gemm(Transpose.Yes, Transpose.No, Dimension, Columns, count, weight, wide.Span, Dimension, projected.Span, Columns, 1.0, range, Columns);
    }

    /// <summary>
    /// Ĉ = ZᵀZ from Y (Algorithm 3 of Tropp et al.): shift Y_ν = Y + νΩ with ν = √d·ε·‖Y‖_F so that B = ΩᵀY_ν is
    /// positive definite in floating point; B = QΘQᵀ; E = Y_ν·QΘ^(−½) (so Y_νB⁻¹Y_νᵀ = EEᵀ); EᵀE = WΣ²Wᵀ; the rows of Z
    /// are √(σ² − ν)·uᵀ with u = Ew/σ, for every σ² > ν. Cached until the sketch changes.
    /// </summary>
    private Reconstruction Reconstruct()
    {
        ThrowIfDisposed();
        Flush();
        if (_reconstruction is { } cached)
        {
            return cached;
        }

        int d = Dimension, s = Columns;
        double norm = Math.Sqrt(TensorPrimitives.SumOfSquares(_range));
        if (norm == 0)
        {
            return _reconstruction = new Reconstruction([], 0, 0);
        }

        double nu = Math.Sqrt(d) * Math.ScaleB(norm, -52);
        using var shifted = new PooledArray<double>(d * s);
        TensorPrimitives.MultiplyAdd(_omega, nu, _range, shifted.Span);

        using var core = new PooledArray<double>(s * s);
        using var theta = new PooledArray<double>(s);
        Backend.Gemm(Transpose.Yes, Transpose.No, s, s, d, 1.0, _omega, s, shifted.Span, s, 0.0, core.Span, s);
        DenseMath.Symmetrize(core.Span, s);
        Backend.SymmetricEigen(s, core.Span, theta.Span);

        // M = QΘ^(−½) over the eigenvalues B resolves (ascending, so the kept ones are the last).
        double floor = Math.ScaleB(theta.Span[s - 1] * s, -52);
        int kept = 0;
        using var inverseRoot = new PooledArray<double>(s * s);
        for (int j = s - 1; j >= 0 && theta.Span[j] > floor; j--, kept++)
        {
            double w = 1.0 / Math.Sqrt(theta.Span[j]);
            for (int i = 0; i < s; i++)
            {
                inverseRoot.Span[(i * s) + kept] = core.Span[(i * s) + j] * w;
            }
        }

        if (kept == 0)
        {
            return _reconstruction = new Reconstruction([], 0, 0);
        }

        using var e = new PooledArray<double>(d * kept);
        Backend.Gemm(Transpose.No, Transpose.No, d, kept, s, 1.0, shifted.Span, s, inverseRoot.Span, s, 0.0, e.Span, kept);
        using var gram = new PooledArray<double>(kept * kept);
        using var sigma2 = new PooledArray<double>(kept);
        Backend.Gemm(Transpose.Yes, Transpose.No, kept, kept, d, 1.0, e.Span, kept, e.Span, kept, 0.0, gram.Span, kept);
        DenseMath.Symmetrize(gram.Span, kept);
        Backend.SymmetricEigen(kept, gram.Span, sigma2.Span);

        // P = W·diag(√(σ² − ν)/σ) over the σ² > ν, largest first; Z = PᵀEᵀ.
        int rank = 0;
        using var scale = new PooledArray<double>(kept * kept);
        double trace = 0;
        for (int j = kept - 1; j >= 0 && sigma2.Span[j] > nu; j--, rank++)
        {
            double lambda = sigma2.Span[j] - nu;
            double w = Math.Sqrt(lambda / sigma2.Span[j]);
            trace += lambda;
            for (int i = 0; i < kept; i++)
            {
                scale.Span[(i * kept) + rank] = gram.Span[(i * kept) + j] * w;
            }
        }

        var rows = new double[rank * d];
        if (rank > 0)
        {
            Backend.Gemm(Transpose.Yes, Transpose.Yes, rank, d, kept, 1.0, scale.Span, kept, e.Span, kept, 0.0, rows, d);
        }

        return _reconstruction = new Reconstruction(rows, rank, trace);
    }

    /// <summary>Ĉ = RowsᵀRows (Rank×d float64, shared read-only by the operators made from it) and its trace.</summary>
    private sealed record Reconstruction(double[] Rows, int Rank, double Trace);
}

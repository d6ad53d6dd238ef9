using System.Numerics;
using System.Runtime.CompilerServices;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ, in float32 — the result LAPACK's
/// <c>ssytrd</c> with <c>uplo = 'L'</c> returns (d, e, τ and the reflectors in the same places, so that <c>sormtr</c>
/// applies Q), computed in one pass over the trailing matrix per column instead of two.
/// <para>
/// Column i: the reflector H(i) = I − τᵢvvᵀ (v₀ = 1) maps the entries below the diagonal to (eᵢ, 0, …, 0); the trailing
/// matrix becomes T − vwᵀ − wvᵀ with w = p − ½τᵢ(pᵀv)v, p = τᵢ·T·v (as <c>ssytd2</c>). The product T·v of the next
/// column needs the next v, which needs only the first updated row; so each pass updates the rest of the trailing
/// matrix row by row and adds vᵣ·(updated row r) into the next p right away (T is symmetric: T·v = Σᵣ vᵣ·Tᵣ). Both
/// triangles are kept, so every row is contiguous, and rows go four at a time so that w, v and p are loaded once for
/// four (the rows average 43 columns at n = 128, and a one-row pass was bound by those loads and stores), which on
/// a shrink's Gram beats OpenBLAS's blocked <c>ssytrd</c> on one thread (figures in docs/numerics.md).
/// </para>
/// <para>
/// Storage (row-major n×n, which reads as the same symmetric matrix column-major): row i holds, from column i + 2 on,
/// the tail of vᵢ — what <c>sormtr('L', 'L', …)</c> reads as column i below the subdiagonal. Norms are summed in
/// float64 so that entries near the float32 range limits (|x| ≳ 1.8e19 or ≲ 1e-19) neither overflow nor underflow.
/// </para>
/// </summary>
internal static class Tridiagonalization
{
    /// <summary>
    /// Reduces the symmetric n×n <paramref name="a"/> (both triangles valid; overwritten) to T = tridiag(e, d, e):
    /// <paramref name="diagonal"/> (n), <paramref name="offDiagonal"/> and <paramref name="tau"/> (n − 1 each).
    /// </summary>
    public static void Reduce(int n, Span<float> a, Span<float> diagonal, Span<float> offDiagonal, Span<float> tau)
    {
        if (n == 1)
        {
            diagonal[0] = a[0];
        }

        if (n <= 1)
        {
            return;
        }

        // p, w and v are indexed by column of A. Row passes start at a multiple of the vector width at or below their
        // first column, so no row has a scalar head. The extra columns lie left of the next trailing matrix and are never
        // read again (v and w are zero left of column i + 1, so most of them are not even changed), and what p gathers
        // there is cleared before use.
        using var pBuffer = new PooledArray<float>(n, clear: true);
        using var wBuffer = new PooledArray<float>(n, clear: true);
        using var vBuffer = new PooledArray<float>(n, clear: true);
        var p = pBuffer.Span;
        var w = wBuffer.Span;
        var v = vBuffer.Span;

        // Column 0: its reflector, and p = T·v by a plain pass (nothing to fuse with yet).
        float t = Reflect(a, n, 0, diagonal, offDiagonal, tau);
        if (n > 2 && t != 0)
        {
            LoadReflector(a, n, 0, v);
            RowsPass(a, n, 1, update: false, v, w, tNext: 1, v, p);
        }

        for (int i = 0; i < n - 2; i++)
        {
            // Column i's trailing matrix: rows/columns i+1 … n−1; p = T·v unscaled, v = vᵢ (from column i+1), t = τᵢ.
            bool update = t != 0;
            if (update)
            {
                FinishW(t, p[(i + 1)..], v[(i + 1)..], w[(i + 1)..]);
                RowPass(a.Slice((i + 1) * n, n), i + 1, update: true, v[i + 1], w, w[i + 1], v, 0, p);
            }

            // The next reflector comes from the updated row i+1; then every other row of the trailing matrix is updated
            // and, from column i+2 on (the next trailing matrix), added into the next p with weight vᵢ₊₁.
            float nextT = Reflect(a, n, i + 1, diagonal, offDiagonal, tau);
            var nextV = a.Slice((i + 1) * n, n);
            p.Clear();
            if (update || nextT != 0)
            {
                RowsPass(a, n, i + 2, update, v, w, nextT, nextV, p);
            }

            v.Clear();
            w.Clear();
            if (nextT != 0)
            {
                LoadReflector(a, n, i + 1, v);
            }

            t = nextT;
        }

        diagonal[n - 1] = a[((n - 1) * n) + n - 1];
    }

    /// <summary>
    /// Rows <paramref name="first"/> … n − 1 from column <paramref name="first"/>: each updated with (v, w) when
    /// <paramref name="update"/>, then added into p with weight <paramref name="weights"/>[r] (1 at r = first).
    /// </summary>
    private static void RowsPass(Span<float> a, int n, int first, bool update, ReadOnlySpan<float> v, ReadOnlySpan<float> w,
        float tNext, ReadOnlySpan<float> weights, Span<float> p)
    {
        int row = first;
        if (Vector.IsHardwareAccelerated)
        {
            for (; row + 4 <= n; row += 4)
            {
                FourRowPass(a.Slice(row * n, 4 * n), n, first, update, v.Slice(row, 4), w, w.Slice(row, 4), v,
                    Weights(tNext, weights, first, row), p);
            }
        }

        for (; row < n; row++)
        {
            RowPass(a.Slice(row * n, n), first, update, v[row], w, w[row], v, Weight(tNext, weights, first, row), p);
        }
    }

    /// <summary>Row r's weight in the next p: vᵢ₊₁ at column r (1 at its first column <paramref name="first"/>), 0 when τᵢ₊₁ = 0.</summary>
    private static float Weight(float nextT, ReadOnlySpan<float> nextV, int first, int r)
        => nextT == 0 ? 0 : r == first ? 1f : nextV[r];

    private static Vector4 Weights(float nextT, ReadOnlySpan<float> nextV, int first, int r)
        => new(Weight(nextT, nextV, first, r), Weight(nextT, nextV, first, r + 1), Weight(nextT, nextV, first, r + 2), Weight(nextT, nextV, first, r + 3));

    /// <summary>
    /// <see cref="RowPass"/> for four consecutive rows (stride n) from the same column: w, v and p are loaded once per
    /// vector of columns for the four, which is what bounds the single-row pass (its rows average 43 columns at n = 128).
    /// </summary>
    private static void FourRowPass(Span<float> rows, int n, int first, bool update, ReadOnlySpan<float> vr, ReadOnlySpan<float> w,
        ReadOnlySpan<float> wr, ReadOnlySpan<float> v, Vector4 weight, Span<float> p)
    {
        int width = Vector<float>.Count;
        int j = first - (first % width);
        var a0 = new Vector<float>(-vr[0]); var a1 = new Vector<float>(-vr[1]); var a2 = new Vector<float>(-vr[2]); var a3 = new Vector<float>(-vr[3]);
        var b0 = new Vector<float>(-wr[0]); var b1 = new Vector<float>(-wr[1]); var b2 = new Vector<float>(-wr[2]); var b3 = new Vector<float>(-wr[3]);
        var s0 = new Vector<float>(weight.X); var s1 = new Vector<float>(weight.Y); var s2 = new Vector<float>(weight.Z); var s3 = new Vector<float>(weight.W);
        ref float r0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rows);
        ref float r1 = ref Unsafe.Add(ref r0, n);
        ref float r2 = ref Unsafe.Add(ref r0, 2 * n);
        ref float r3 = ref Unsafe.Add(ref r0, 3 * n);
        ref float wRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w);
        ref float vRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
        ref float pRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(p);
        for (; j <= n - width; j += width)
        {
            nuint at = (nuint)j;
            var x0 = Vector.LoadUnsafe(ref r0, at);
            var x1 = Vector.LoadUnsafe(ref r1, at);
            var x2 = Vector.LoadUnsafe(ref r2, at);
            var x3 = Vector.LoadUnsafe(ref r3, at);
            if (update)
            {
                var wj = Vector.LoadUnsafe(ref wRef, at);
                var vj = Vector.LoadUnsafe(ref vRef, at);
                x0 = Vector.FusedMultiplyAdd(b0, vj, Vector.FusedMultiplyAdd(a0, wj, x0));
                x1 = Vector.FusedMultiplyAdd(b1, vj, Vector.FusedMultiplyAdd(a1, wj, x1));
                x2 = Vector.FusedMultiplyAdd(b2, vj, Vector.FusedMultiplyAdd(a2, wj, x2));
                x3 = Vector.FusedMultiplyAdd(b3, vj, Vector.FusedMultiplyAdd(a3, wj, x3));
                x0.StoreUnsafe(ref r0, at);
                x1.StoreUnsafe(ref r1, at);
                x2.StoreUnsafe(ref r2, at);
                x3.StoreUnsafe(ref r3, at);
            }

            var sum = Vector.FusedMultiplyAdd(s0, x0, Vector.LoadUnsafe(ref pRef, at));
            sum = Vector.FusedMultiplyAdd(s1, x1, sum);
            sum = Vector.FusedMultiplyAdd(s2, x2, sum);
            Vector.FusedMultiplyAdd(s3, x3, sum).StoreUnsafe(ref pRef, at);
        }

        if (j < n)
        {
            ScalarColumns(rows[..n], j, update, vr[0], w, wr[0], v, weight.X, p);
            ScalarColumns(rows.Slice(n, n), j, update, vr[1], w, wr[1], v, weight.Y, p);
            ScalarColumns(rows.Slice(2 * n, n), j, update, vr[2], w, wr[2], v, weight.Z, p);
            ScalarColumns(rows.Slice(3 * n, n), j, update, vr[3], w, wr[3], v, weight.W, p);
        }
    }

    /// <summary>vᵢ by column: 1 at column i + 1, the tail stored in row i from column i + 2.</summary>
    private static void LoadReflector(ReadOnlySpan<float> a, int n, int i, Span<float> v)
    {
        v[i + 1] = 1;
        a.Slice((i * n) + i + 2, n - i - 2).CopyTo(v[(i + 2)..]);
    }

    /// <summary>
    /// One row of the fused pass, from column <paramref name="first"/>: row −= vᵣ·w + wᵣ·v (when updating), then
    /// p += weight·row.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void RowPass(Span<float> row, int first, bool update, float vr, ReadOnlySpan<float> w, float wr, ReadOnlySpan<float> v,
        float weight, Span<float> p)
    {
        int width = Vector<float>.Count;
        int j = Vector.IsHardwareAccelerated ? first - (first % width) : first;
        if (Vector.IsHardwareAccelerated)
        {
            var a = new Vector<float>(-vr);
            var b = new Vector<float>(-wr);
            var s = new Vector<float>(weight);
            ref float rowRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(row);
            ref float wRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w);
            ref float vRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(v);
            ref float pRef = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(p);
            for (; j <= row.Length - width; j += width)
            {
                nuint at = (nuint)j;
                var x = Vector.LoadUnsafe(ref rowRef, at);
                if (update)
                {
                    x = Vector.FusedMultiplyAdd(a, Vector.LoadUnsafe(ref wRef, at), x);
                    x = Vector.FusedMultiplyAdd(b, Vector.LoadUnsafe(ref vRef, at), x);
                    x.StoreUnsafe(ref rowRef, at);
                }

                Vector.FusedMultiplyAdd(s, x, Vector.LoadUnsafe(ref pRef, at)).StoreUnsafe(ref pRef, at);
            }
        }

        ScalarColumns(row, j, update, vr, w, wr, v, weight, p);
    }

    /// <summary>The row pass on columns <paramref name="from"/> … end, one at a time.</summary>
    private static void ScalarColumns(Span<float> row, int from, bool update, float vr, ReadOnlySpan<float> w, float wr, ReadOnlySpan<float> v,
        float weight, Span<float> p)
    {
        for (int j = from; j < row.Length; j++)
        {
            float x = row[j];
            if (update)
            {
                x = MathF.FusedMultiplyAdd(-wr, v[j], MathF.FusedMultiplyAdd(-vr, w[j], x));
                row[j] = x;
            }

            p[j] = MathF.FusedMultiplyAdd(weight, x, p[j]);
        }
    }

    /// <summary>
    /// The reflector of column <paramref name="i"/> (<c>slarfg</c> on row i right of the diagonal, which by symmetry is
    /// the column below it): stores d[i], e[i] and τ[i], scales the tail in place, returns τ (0: H = I).
    /// </summary>
    private static float Reflect(Span<float> a, int n, int i, Span<float> diagonal, Span<float> offDiagonal, Span<float> tau)
    {
        diagonal[i] = a[(i * n) + i];
        var row = a.Slice((i * n) + i + 1, n - 1 - i);
        double alpha = row[0];
        double norm2 = RowKernels.SumOfSquares(row[1..]);

        if (norm2 == 0)
        {
            offDiagonal[i] = row[0];
            tau[i] = 0;
            return 0;
        }

        double beta = -Math.CopySign(Math.Sqrt((alpha * alpha) + norm2), alpha);
        double scale = 1 / (alpha - beta);
        for (int j = 1; j < row.Length; j++)
        {
            row[j] = (float)(row[j] * scale);
        }

        row[0] = (float)beta;
        offDiagonal[i] = (float)beta;
        float t = (float)((beta - alpha) / beta);
        tau[i] = t;
        return t;
    }

    /// <summary>w = τp − ½τ²(pᵀv)v from p = T·v (<c>ssytd2</c>'s w with its τ folded in).</summary>
    private static void FinishW(float t, ReadOnlySpan<float> p, ReadOnlySpan<float> v, Span<float> w)
    {
        // p was accumulated as T·v; w = τ·T·v − ½τ²(vᵀT v)·v.
        float half = (float)(-0.5 * t * t * RowKernels.WideDot(p, v));
        System.Numerics.Tensors.TensorPrimitives.Multiply(p, t, w);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(v, half, w, w);
    }
}

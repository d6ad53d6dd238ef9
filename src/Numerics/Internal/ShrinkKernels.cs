using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// x86 kernels for the two skinny products of a Frequent Directions shrink on a host row buffer B (rows × cols,
/// row-major, cols ≫ rows): the Gram columns B·B[from:]ᵀ (AVX2 + FMA) and the rotation B[0:out] ← M·B in place
/// (AVX-512). OpenBLAS runs these shapes (128×64×4096 and 64×4096×128 at ℓ = 64) below its own sgemm rate on one
/// core; these run them near it (docs/numerics.md), because the shapes allow what a general GEMM cannot assume:
/// <list type="bullet">
/// <item>The Gram is a set of long dot products: 4 rows × 4 rows of 8-float accumulators over k blocks of
/// <see cref="KBlock"/> floats, no packing, each block's float sums added into the float64 result. Of the square part
/// [from, rows)², only the blocks on and above the diagonal are computed and the rest mirrored, as SYRK does.</item>
/// <item>The rotation reads B in column chunks of <see cref="ChunkWidth"/> floats (rows × 256 B, L1-resident) and
/// writes 4 output rows × 4 zmm accumulators per pass into a small scratch, copied back once a chunk is done — so it
/// runs in place, without a second rows × cols buffer.</item>
/// </list>
/// Results equal the plain products to float32 rounding (tested against float64 references, odd shapes included).
/// </summary>
internal static unsafe class ShrinkKernels
{
    /// <summary>Floats of a row summed per Gram pass: two blocks of 4 rows = 64 KiB, the best of the sizes from 512 to 4096.</summary>
    internal const int KBlock = 2048;

    /// <summary>Columns per rotation chunk: 4 zmm registers.</summary>
    internal const int ChunkWidth = 64;

    /// <summary>The Gram kernel's instructions (AVX2 and FMA3) are available.</summary>
    public static bool GramSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether a Gram entry of rows of <paramref name="cols"/> floats comes out bit for bit the same in a 4×4 tile as at a
    /// tile's edge: both sum 8-float products in order into one vector, reduce it once and add that into the float64
    /// entry per <see cref="KBlock"/> block, as long as no block leaves a tail past its last 16 floats.
    /// </summary>
    public static bool GramTileIndependent(int cols) => cols % 16 == 0;

    /// <summary>The rotation kernel's instructions (AVX-512 F) are available.</summary>
    public static bool RotationSupported => Avx512F.IsSupported;

    /// <summary>What a host sketch buffer's shrink runs on here, for the CPU backends' selection reasons.</summary>
    public static string Describe()
        => $"sketch shrinks: Gram {(GramSupported ? "host kernel (AVX2+FMA)" : "backend SYRK/GEMM (no AVX2+FMA)")}, " +
           $"rotation {(RotationSupported ? "host kernel (AVX-512, in place)" : "backend GEMM (no AVX-512)")}";

    /// <summary>
    /// destination (rows × (rows − fromRow), row-major, float64) = B[0:rows]·B[fromRow:rows]ᵀ for the row-major
    /// buffer B with <paramref name="cols"/> columns. Requires <see cref="GramSupported"/>; arguments checked by the caller.
    /// </summary>
    public static void GramColumns(ReadOnlySpan<float> buffer, int cols, int rows, int fromRow, Span<double> destination)
    {
        int width = rows - fromRow;
        destination[..(rows * width)].Clear();
        if (width == 0)
        {
            return;
        }

        fixed (float* b = buffer)
        fixed (double* c = destination)
        {
            for (int k0 = 0; k0 < cols; k0 += KBlock)
            {
                int kb = Math.Min(KBlock, cols - k0);
                GramBlocks(b + k0, b + k0, cols, kb, 0, fromRow, fromRow, rows, c, width, upperOnly: false);
                GramBlocks(b + k0, b + k0, cols, kb, fromRow, rows, fromRow, rows, c, width, upperOnly: true);
            }

            // The square part's strictly lower blocks were skipped: mirror them (and the diagonal blocks' lower
            // halves, so the result is exactly symmetric there).
            for (int i = fromRow + 1; i < rows; i++)
            {
                for (int j = fromRow; j < i; j++)
                {
                    c[(i * width) + j - fromRow] = c[(j * width) + i - fromRow];
                }
            }
        }
    }

    /// <summary>
    /// destination (xRows × yRows, row-major, float64) = X·Yᵀ for the row-major blocks X (xRows × cols) and Y (yRows × cols):
    /// the Gram kernel's 4×4 dot-product tiles over two buffers (short, wide products such as a LoRA factor against a
    /// basis, which a general GEMM packs at a cost larger than the product). Requires <see cref="GramSupported"/>; arguments
    /// checked by the caller.
    /// </summary>
    public static void CrossDots(ReadOnlySpan<float> x, int xRows, ReadOnlySpan<float> y, int yRows, int cols, Span<double> destination)
    {
        destination[..(xRows * yRows)].Clear();
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (double* c = destination)
        {
            for (int k0 = 0; k0 < cols; k0 += KBlock)
            {
                GramBlocks(px + k0, py + k0, cols, Math.Min(KBlock, cols - k0), 0, xRows, 0, yRows, c, yRows, upperOnly: false);
            }
        }
    }

    /// <summary>
    /// B[0:outRows] ← M·B[0:activeRows] in place, M outRows × activeRows row-major; rows from outRows on are left as
    /// they were. Requires <see cref="RotationSupported"/>; arguments checked by the caller.
    /// </summary>
    public static void RotateInPlace(Span<float> buffer, int cols, int activeRows, ReadOnlySpan<float> m, int outRows)
    {
        fixed (float* b = buffer)
        {
            RotateChunks(b, b, cols, activeRows, m, outRows);
        }
    }

    /// <summary>
    /// target[0:outRows] = M·source[0:activeRows] (both cols wide, row-major; M outRows × activeRows): the rotation written
    /// to another buffer, for a workspace whose rows are shared. Same blocking as <see cref="RotateInPlace"/>; rows of
    /// target beyond outRows are left as they are. Requires <see cref="RotationSupported"/>.
    /// </summary>
    public static void Rotate(ReadOnlySpan<float> source, Span<float> target, int cols, int activeRows, ReadOnlySpan<float> m, int outRows)
    {
        if (source.Overlaps(target))
        {
            throw new ArgumentException("The rotation's target overlaps its source; use RotateInPlace.", nameof(target));
        }

        fixed (float* b = source)
        fixed (float* t = target)
        {
            RotateChunks(b, t, cols, activeRows, m, outRows);
        }
    }

    /// <summary>
    /// target[0:outRows] = M·source[0:activeRows], a chunk of <see cref="ChunkWidth"/> columns at a time through scratch (so
    /// target may be source: each chunk is read whole before it is written).
    /// </summary>
    private static void RotateChunks(float* source, float* target, int cols, int activeRows, ReadOnlySpan<float> m, int outRows)
    {
        if (outRows == 0)
        {
            return;
        }

        using var scratch = new PooledArray<float>(outRows * ChunkWidth);
        fixed (float* mp = m)
        fixed (float* t = scratch.Span)
        {
            for (int c0 = 0; c0 < cols; c0 += ChunkWidth)
            {
                int width = Math.Min(ChunkWidth, cols - c0);
                MultiplyRows(mp, outRows, activeRows, source + c0, cols, width, t, width);
                CopyBack(t, width, target + c0, cols, outRows);
            }
        }
    }

    /// <summary>
    /// output (count × width, row stride ldo) = M·B[0:depth, 0:width] for M count × depth row-major and B with row stride
    /// ld: chunks of <see cref="ChunkWidth"/> columns, 4 output rows × 4 zmm per pass, the leftover rows and columns
    /// with 16-float vectors and a scalar end. The rotation's product, and the r×d LoRA factor product
    /// (<see cref="RowKernels.CombineWithEnergy"/>). Requires <see cref="RotationSupported"/>; output must not overlap B.
    /// </summary>
    public static void MultiplyRows(float* m, int count, int depth, float* b, int ld, int width, float* output, int ldo)
    {
        int c0 = 0;
        for (; c0 + ChunkWidth <= width; c0 += ChunkWidth)
        {
            int i = 0;
            for (; i + 4 <= count; i += 4)
            {
                Rotate4Rows(m + (i * depth), depth, b + c0, ld, output + (i * ldo) + c0, ldo);
            }

            RotateRows(m + (i * depth), count - i, depth, b + c0, ld, ChunkWidth, output + (i * ldo) + c0, ldo);
        }

        RotateRows(m, count, depth, b + c0, ld, width - c0, output + c0, ldo);
    }

    /// <summary>
    /// Adds the k-block [0, kb) of the dot products of rows [i0, i1) of x with rows [j0, j1) of y (both of row stride ld)
    /// into c (row stride ldc, column j at j − j0). With <paramref name="upperOnly"/> (x = y, i0 = j0, the square part)
    /// blocks strictly below the diagonal are skipped.
    /// </summary>
    private static void GramBlocks(float* x, float* y, int ld, int kb, int i0, int i1, int j0, int j1, double* c, int ldc, bool upperOnly)
    {
        for (int i = i0; i < i1; i += 4)
        {
            int mi = Math.Min(4, i1 - i);
            int jStart = upperOnly ? i : j0;
            for (int j = jStart; j < j1; j += 4)
            {
                int nj = Math.Min(4, j1 - j);
                double* cij = c + (i * ldc) + (j - j0);
                if (mi == 4 && nj == 4)
                {
                    // The 16-float steps in the kernel, the last few floats here (the kernel keeps only its
                    // accumulators live: extra state across its loop cost a third of its speed in spills).
                    int vectorEnd = kb & ~15;
                    Dot4x4(x + (i * ld), y + (j * ld), ld, vectorEnd, cij, ldc);
                    for (int p = 0; vectorEnd < kb && p < 4; p++)
                    {
                        for (int q = 0; q < 4; q++)
                        {
                            cij[(p * ldc) + q] += Tail(x + ((i + p) * ld), y + ((j + q) * ld), vectorEnd, kb);
                        }
                    }
                }
                else
                {
                    for (int p = 0; p < mi; p++)
                    {
                        for (int q = 0; q < nj; q++)
                        {
                            cij[(p * ldc) + q] += Dot(x + ((i + p) * ld), y + ((j + q) * ld), kb);
                        }
                    }
                }
            }
        }
    }

    /// <summary>16 dot products of 4 x rows with 4 y rows over kb floats (a multiple of 16), added into c (row stride ldc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4(float* x, float* y, int ld, int kb, double* c, int ldc)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        float* x0 = x, x1 = x + ld, x2 = x + (2 * ld), x3 = x + (3 * ld);
        float* y0 = y, y1 = y + ld, y2 = y + (2 * ld), y3 = y + (3 * ld);
        for (int p = 0; p < kb; p += 16)
        {
            var v0 = Avx.LoadVector256(x0 + p);
            var v1 = Avx.LoadVector256(x1 + p);
            var v2 = Avx.LoadVector256(x2 + p);
            var v3 = Avx.LoadVector256(x3 + p);
            var w = Avx.LoadVector256(y0 + p);
            a00 = Fma.MultiplyAdd(v0, w, a00);
            a10 = Fma.MultiplyAdd(v1, w, a10);
            a20 = Fma.MultiplyAdd(v2, w, a20);
            a30 = Fma.MultiplyAdd(v3, w, a30);
            w = Avx.LoadVector256(y1 + p);
            a01 = Fma.MultiplyAdd(v0, w, a01);
            a11 = Fma.MultiplyAdd(v1, w, a11);
            a21 = Fma.MultiplyAdd(v2, w, a21);
            a31 = Fma.MultiplyAdd(v3, w, a31);
            w = Avx.LoadVector256(y2 + p);
            a02 = Fma.MultiplyAdd(v0, w, a02);
            a12 = Fma.MultiplyAdd(v1, w, a12);
            a22 = Fma.MultiplyAdd(v2, w, a22);
            a32 = Fma.MultiplyAdd(v3, w, a32);
            w = Avx.LoadVector256(y3 + p);
            a03 = Fma.MultiplyAdd(v0, w, a03);
            a13 = Fma.MultiplyAdd(v1, w, a13);
            a23 = Fma.MultiplyAdd(v2, w, a23);
            a33 = Fma.MultiplyAdd(v3, w, a33);

            // The same for the next 8 floats (two steps per iteration keep more loads in flight than one).
            v0 = Avx.LoadVector256(x0 + p + 8);
            v1 = Avx.LoadVector256(x1 + p + 8);
            v2 = Avx.LoadVector256(x2 + p + 8);
            v3 = Avx.LoadVector256(x3 + p + 8);
            w = Avx.LoadVector256(y0 + p + 8);
            a00 = Fma.MultiplyAdd(v0, w, a00);
            a10 = Fma.MultiplyAdd(v1, w, a10);
            a20 = Fma.MultiplyAdd(v2, w, a20);
            a30 = Fma.MultiplyAdd(v3, w, a30);
            w = Avx.LoadVector256(y1 + p + 8);
            a01 = Fma.MultiplyAdd(v0, w, a01);
            a11 = Fma.MultiplyAdd(v1, w, a11);
            a21 = Fma.MultiplyAdd(v2, w, a21);
            a31 = Fma.MultiplyAdd(v3, w, a31);
            w = Avx.LoadVector256(y2 + p + 8);
            a02 = Fma.MultiplyAdd(v0, w, a02);
            a12 = Fma.MultiplyAdd(v1, w, a12);
            a22 = Fma.MultiplyAdd(v2, w, a22);
            a32 = Fma.MultiplyAdd(v3, w, a32);
            w = Avx.LoadVector256(y3 + p + 8);
            a03 = Fma.MultiplyAdd(v0, w, a03);
            a13 = Fma.MultiplyAdd(v1, w, a13);
            a23 = Fma.MultiplyAdd(v2, w, a23);
            a33 = Fma.MultiplyAdd(v3, w, a33);
        }

        Add4(c, a00, a01, a02, a03);
        Add4(c + ldc, a10, a11, a12, a13);
        Add4(c + (2 * ldc), a20, a21, a22, a23);
        Add4(c + (3 * ldc), a30, a31, a32, a33);
    }

    private static void Add4(double* c, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        c[0] += Vector256.Sum(s0);
        c[1] += Vector256.Sum(s1);
        c[2] += Vector256.Sum(s2);
        c[3] += Vector256.Sum(s3);
    }

    private static float Tail(float* x, float* y, int from, int to)
    {
        float sum = 0;
        for (int p = from; p < to; p++)
        {
            sum += x[p] * y[p];
        }

        return sum;
    }

    /// <summary>One dot product over kb floats (edge blocks).</summary>
    private static float Dot(float* x, float* y, int kb)
    {
        var acc = Vector256<float>.Zero;
        int vectorEnd = kb & ~7;
        for (int p = 0; p < vectorEnd; p += 8)
        {
            acc = Fma.MultiplyAdd(Avx.LoadVector256(x + p), Avx.LoadVector256(y + p), acc);
        }

        return Vector256.Sum(acc) + Tail(x, y, vectorEnd, kb);
    }

    /// <summary>t (4 × <see cref="ChunkWidth"/>, row stride ldt) = M[4 rows]·B[0:activeRows, chunk].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rotate4Rows(float* m, int activeRows, float* b, int ld, float* t, int ldt)
    {
        Vector512<float> r00 = default, r01 = default, r02 = default, r03 = default;
        Vector512<float> r10 = default, r11 = default, r12 = default, r13 = default;
        Vector512<float> r20 = default, r21 = default, r22 = default, r23 = default;
        Vector512<float> r30 = default, r31 = default, r32 = default, r33 = default;
        float* m0 = m, m1 = m + activeRows, m2 = m + (2 * activeRows), m3 = m + (3 * activeRows);
        for (int j = 0; j < activeRows; j++, b += ld)
        {
            var v0 = Avx512F.LoadVector512(b);
            var v1 = Avx512F.LoadVector512(b + 16);
            var v2 = Avx512F.LoadVector512(b + 32);
            var v3 = Avx512F.LoadVector512(b + 48);
            var s = Vector512.Create(m0[j]);
            r00 = Avx512F.FusedMultiplyAdd(s, v0, r00);
            r01 = Avx512F.FusedMultiplyAdd(s, v1, r01);
            r02 = Avx512F.FusedMultiplyAdd(s, v2, r02);
            r03 = Avx512F.FusedMultiplyAdd(s, v3, r03);
            s = Vector512.Create(m1[j]);
            r10 = Avx512F.FusedMultiplyAdd(s, v0, r10);
            r11 = Avx512F.FusedMultiplyAdd(s, v1, r11);
            r12 = Avx512F.FusedMultiplyAdd(s, v2, r12);
            r13 = Avx512F.FusedMultiplyAdd(s, v3, r13);
            s = Vector512.Create(m2[j]);
            r20 = Avx512F.FusedMultiplyAdd(s, v0, r20);
            r21 = Avx512F.FusedMultiplyAdd(s, v1, r21);
            r22 = Avx512F.FusedMultiplyAdd(s, v2, r22);
            r23 = Avx512F.FusedMultiplyAdd(s, v3, r23);
            s = Vector512.Create(m3[j]);
            r30 = Avx512F.FusedMultiplyAdd(s, v0, r30);
            r31 = Avx512F.FusedMultiplyAdd(s, v1, r31);
            r32 = Avx512F.FusedMultiplyAdd(s, v2, r32);
            r33 = Avx512F.FusedMultiplyAdd(s, v3, r33);
        }

        Store4(t, r00, r01, r02, r03);
        Store4(t + ldt, r10, r11, r12, r13);
        Store4(t + (2 * ldt), r20, r21, r22, r23);
        Store4(t + (3 * ldt), r30, r31, r32, r33);
    }

    private static void Store4(float* t, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Avx512F.Store(t, a);
        Avx512F.Store(t + 16, b);
        Avx512F.Store(t + 32, c);
        Avx512F.Store(t + 48, d);
    }

    /// <summary>
    /// t (count × width, row stride ldt) = M[count rows]·B[0:activeRows, 0:width] — the leftover rows and the
    /// column tail, one row of B at a time with 16-float vectors and a scalar end.
    /// </summary>
    private static void RotateRows(float* m, int count, int activeRows, float* b, int ld, int width, float* t, int ldt)
    {
        int vectorEnd = width & ~15;
        for (int i = 0; i < count && width > 0; i++)
        {
            float* row = t + (i * ldt);
            new Span<float>(row, width).Clear();
            float* mi = m + (i * activeRows);
            for (int j = 0; j < activeRows; j++)
            {
                float* bj = b + (j * ld);
                var s = Vector512.Create(mi[j]);
                int x = 0;
                for (; x < vectorEnd; x += 16)
                {
                    Avx512F.Store(row + x, Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(bj + x), Avx512F.LoadVector512(row + x)));
                }

                for (; x < width; x++)
                {
                    row[x] = MathF.FusedMultiplyAdd(mi[j], bj[x], row[x]);
                }
            }
        }
    }

    private static void CopyBack(float* t, int width, float* b, int ld, int rows)
    {
        for (int i = 0; i < rows; i++)
        {
            new ReadOnlySpan<float>(t + (i * width), width).CopyTo(new Span<float>(b + (i * ld), width));
        }
    }
}

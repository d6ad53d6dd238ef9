using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Blocked, SIMD, row-major GEMM used by the managed backend: C (m×n) = alpha·A·B + beta·C with A (m×k) and
/// B (k×n) already in plain row-major form (transposed operands are packed first). Register-blocked 4 rows ×
/// 2 vectors, k blocked for cache, row panels spread over the cores when the product is large.
/// </summary>
internal static class ManagedGemm
{
    private const int KBlock = 256;
    private const int RowBlock = 4;
    private const long ParallelThreshold = 1L << 21;

    /// <summary>Packs op(X) (rows×cols) into a dense row-major buffer.</summary>
    public static void Pack<T>(bool transpose, int rows, int cols, ReadOnlySpan<T> x, int ld, Span<T> destination)
    {
        for (int i = 0; i < rows; i++)
        {
            Span<T> row = destination.Slice(i * cols, cols);
            if (!transpose)
            {
                x.Slice(i * ld, cols).CopyTo(row);
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    row[j] = x[(j * ld) + i];
                }
            }
        }
    }

    /// <summary>C = alpha·A·B + beta·C; A dense m×k, B dense k×n, C with leading dimension ldc.</summary>
    public static void Multiply<T>(int m, int n, int k, T alpha, T[] a, T[] b, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            Span<T> row = c.Slice(i * ldc, n);
            if (T.IsZero(beta))
            {
                row.Clear();
            }
            else if (beta != T.One)
            {
                for (int j = 0; j < n; j++)
                {
                    row[j] *= beta;
                }
            }
        }

        if (k == 0 || T.IsZero(alpha) || m == 0 || n == 0)
        {
            return;
        }

        int panels = (m + RowBlock - 1) / RowBlock;
        ref T c0 = ref MemoryMarshal.GetReference(c);
        unsafe
        {
            fixed (T* cp = &c0)
            {
                T* cPtr = cp;
                if ((long)m * n * k >= ParallelThreshold && Environment.ProcessorCount > 1)
                {
                    Parallel.For(0, panels, p => Panel(p * RowBlock, Math.Min(RowBlock, m - (p * RowBlock)), n, k, alpha, a, b, cPtr, ldc));
                }
                else
                {
                    for (int p = 0; p < panels; p++)
                    {
                        Panel(p * RowBlock, Math.Min(RowBlock, m - (p * RowBlock)), n, k, alpha, a, b, cPtr, ldc);
                    }
                }
            }
        }
    }

    private static unsafe void Panel<T>(int row0, int rows, int n, int k, T alpha, T[] a, T[] b, T* c, int ldc)
        where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count;
        for (int p0 = 0; p0 < k; p0 += KBlock)
        {
            int pEnd = Math.Min(k, p0 + KBlock);
            int j = 0;
            if (rows == RowBlock)
            {
                for (; j + (2 * w) <= n; j += 2 * w)
                {
                    Block4x2(row0, j, p0, pEnd, n, k, alpha, a, b, c, ldc);
                }
            }

            for (; j < n; j++)
            {
                for (int r = 0; r < rows; r++)
                {
                    T sum = T.Zero;
                    int aRow = (row0 + r) * k;
                    for (int p = p0; p < pEnd; p++)
                    {
                        sum += a[aRow + p] * b[(p * n) + j];
                    }

                    c[((row0 + r) * ldc) + j] += alpha * sum;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block4x2<T>(int row0, int j, int p0, int pEnd, int n, int k, T alpha, T[] a, T[] b, T* c, int ldc)
        where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;
        fixed (T* ap = a, bp = b)
        {
            T* a0 = ap + (row0 * k);
            T* a1 = a0 + k;
            T* a2 = a1 + k;
            T* a3 = a2 + k;
            for (int p = p0; p < pEnd; p++)
            {
                T* bRow = bp + (p * n) + j;
                var b0 = Unsafe.ReadUnaligned<Vector<T>>(bRow);
                var b1 = Unsafe.ReadUnaligned<Vector<T>>(bRow + w);
                var x0 = new Vector<T>(a0[p]);
                c00 += x0 * b0;
                c01 += x0 * b1;
                var x1 = new Vector<T>(a1[p]);
                c10 += x1 * b0;
                c11 += x1 * b1;
                var x2 = new Vector<T>(a2[p]);
                c20 += x2 * b0;
                c21 += x2 * b1;
                var x3 = new Vector<T>(a3[p]);
                c30 += x3 * b0;
                c31 += x3 * b1;
            }
        }

        var va = new Vector<T>(alpha);
        Accumulate(c + (row0 * ldc) + j, w, va, c00, c01);
        Accumulate(c + ((row0 + 1) * ldc) + j, w, va, c10, c11);
        Accumulate(c + ((row0 + 2) * ldc) + j, w, va, c20, c21);
        Accumulate(c + ((row0 + 3) * ldc) + j, w, va, c30, c31);
    }

    private static unsafe void Accumulate<T>(T* target, int w, Vector<T> alpha, Vector<T> v0, Vector<T> v1)
        where T : unmanaged, INumber<T>
    {
        Unsafe.WriteUnaligned(target, Unsafe.ReadUnaligned<Vector<T>>(target) + (alpha * v0));
        Unsafe.WriteUnaligned(target + w, Unsafe.ReadUnaligned<Vector<T>>(target + w) + (alpha * v1));
    }
}

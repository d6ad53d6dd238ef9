using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Products of short, wide float32 row blocks (a few rows of length d: a LoRA factor, a sketch's buffered rows, a basis)
/// on this library's host kernels where the CPU has their instructions (<see cref="ShrinkKernels"/>), else plain loops or
/// the backend. A general GEMM packs both operands first, which for such shapes costs more than the product; the dot
/// products sum in float64.
/// </summary>
internal static unsafe class RowBlockProducts
{
    /// <summary>destination (xRows × yRows, float64) = X·Yᵀ of row-major blocks with <paramref name="cols"/> columns.</summary>
    public static void Cross(ReadOnlySpan<float> x, int xRows, ReadOnlySpan<float> y, int yRows, int cols, Span<double> destination)
    {
        if (ShrinkKernels.GramSupported)
        {
            ShrinkKernels.CrossDots(x, xRows, y, yRows, cols, destination);
            return;
        }

        for (int i = 0; i < xRows; i++)
        {
            for (int j = 0; j < yRows; j++)
            {
                destination[(i * yRows) + j] = RowKernels.WideDot(x.Slice(i * cols, cols), y.Slice(j * cols, cols));
            }
        }
    }

    /// <summary>
    /// destination (xRows × yRows, float64) = X·Yᵀ with every product exact and every sum in float64 (<see cref="Cross"/>
    /// sums runs of float32 products first): for the overlaps of two bases, whose small principal angles are differences
    /// of such sums. 4×4 tiles of float64 accumulators where the CPU has AVX-512, else one widening dot per pair.
    /// </summary>
    public static void WideCross(ReadOnlySpan<float> x, int xRows, ReadOnlySpan<float> y, int yRows, int cols, Span<double> destination)
    {
        Guard.AtLeast(nameof(x), x.Length, (long)xRows * cols, $"{xRows} rows of {cols}");
        Guard.AtLeast(nameof(y), y.Length, (long)yRows * cols, $"{yRows} rows of {cols}");
        Guard.AtLeast(nameof(destination), destination.Length, (long)xRows * yRows, $"a {xRows}×{yRows} matrix");
        int tiled = Avx512F.IsSupported ? cols & ~(WideLanes - 1) : 0;
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (double* c = destination)
        {
            for (int i = 0; i < xRows; i += 4)
            {
                for (int j = 0; j < yRows; j += 4)
                {
                    bool whole = tiled > 0 && i + 4 <= xRows && j + 4 <= yRows;
                    if (whole)
                    {
                        WideDot4x4(px + (i * cols), py + (j * cols), cols, tiled, c + (i * yRows) + j, yRows);
                    }

                    // The pairs outside whole tiles, and the tiles' last columns.
                    int from = whole ? tiled : 0;
                    for (int p = i; p < Math.Min(i + 4, xRows); p++)
                    {
                        for (int q = j; q < Math.Min(j + 4, yRows); q++)
                        {
                            double tail = RowKernels.WideDot(x.Slice((p * cols) + from, cols - from), y.Slice((q * cols) + from, cols - from));
                            c[(p * yRows) + q] = whole ? c[(p * yRows) + q] + tail : tail;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// destination (rows × rows, float64) = X·Xᵀ of a row-major block: the Gram kernel (upper triangle, mirrored) where the
    /// CPU has AVX2 and FMA, else a SYRK on <paramref name="backend"/> widened to float64.
    /// </summary>
    public static void Gram(IBlasBackend backend, ReadOnlySpan<float> x, int rows, int cols, Span<double> destination)
    {
        if (ShrinkKernels.GramSupported)
        {
            ShrinkKernels.GramColumns(x, cols, rows, fromRow: 0, destination);
            return;
        }

        BackendGram(backend, x, rows, cols, destination);
    }

    /// <summary>destination (rows × rows, float64) = X·Xᵀ by a float32 SYRK on <paramref name="backend"/>, widened.</summary>
    public static void BackendGram(IBlasBackend backend, ReadOnlySpan<float> x, int rows, int cols, Span<double> destination)
    {
        using var single = new PooledArray<float>(rows * rows);
        backend.Syrk(Transpose.No, rows, cols, 1f, x, cols, 0f, single.Span, rows);
        TensorPrimitives.ConvertChecked<float, double>(single.Span, destination[..(rows * rows)]);
    }

    /// <summary>
    /// output (count × cols, row-major) = M·X for M (count × depth) and X (depth × cols), both row-major: the rotation
    /// kernel where the CPU has AVX-512, else a GEMM on <paramref name="backend"/> (row by row on the host without one:
    /// small products such as a k×k rotation). <paramref name="output"/> must not overlap X.
    /// </summary>
    public static void Combine(IBlasBackend? backend, ReadOnlySpan<float> m, int count, int depth, ReadOnlySpan<float> x, int cols, Span<float> output)
    {
        Guard.AtLeast(nameof(m), m.Length, (long)count * depth, $"a {count}×{depth} matrix");
        Guard.AtLeast(nameof(x), x.Length, (long)depth * cols, $"{depth} rows of {cols}");
        Guard.AtLeast(nameof(output), output.Length, (long)count * cols, $"{count} rows of {cols}");
        if (output[..(count * cols)].Overlaps(x[..(depth * cols)]))
        {
            throw new ArgumentException("The product's output overlaps its input rows.", nameof(output));
        }

        if (!ShrinkKernels.RotationSupported)
        {
            if (backend is not null)
            {
                backend.Gemm(Transpose.No, Transpose.No, count, cols, depth, 1f, m, depth, x, cols, 0f, output, cols);
            }
            else
            {
                CombineRows(m, count, depth, x, cols, output);
            }

            return;
        }

        fixed (float* pm = m)
        fixed (float* px = x)
        fixed (float* po = output)
        {
            ShrinkKernels.MultiplyRows(pm, count, depth, px, cols, cols, po, cols);
        }
    }

    /// <summary>
    /// output (count × cols) = M·X row by row on the host (any float type): each output row a sum of X's rows scaled by
    /// its row of M. For small products, and where the CPU lacks the rotation kernel. <paramref name="output"/> must
    /// not overlap X.
    /// </summary>
    public static void CombineRows<T>(ReadOnlySpan<T> m, int count, int depth, ReadOnlySpan<T> x, int cols, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++)
        {
            var row = output.Slice(i * cols, cols);
            row.Clear();
            for (int t = 0; t < depth; t++)
            {
                TensorPrimitives.MultiplyAdd(x.Slice(t * cols, cols), m[(i * depth) + t], row, row);
            }
        }
    }

    /// <summary>Floats per step of <see cref="WideDot4x4"/>: one zmm of float64.</summary>
    private const int WideLanes = 8;

    /// <summary>c (4×4, row stride ldc) = the float64 dot products of 4 x rows with 4 y rows over their first n floats (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideDot4x4(float* x, float* y, int ld, int n, double* c, int ldc)
    {
        Vector512<double> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<double> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<double> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<double> a30 = default, a31 = default, a32 = default, a33 = default;
        float* x1 = x + ld, x2 = x + (2 * ld), x3 = x + (3 * ld);
        float* y1 = y + ld, y2 = y + (2 * ld), y3 = y + (3 * ld);
        for (int p = 0; p < n; p += WideLanes)
        {
            var v0 = Avx512F.ConvertToVector512Double(Avx.LoadVector256(x + p));
            var v1 = Avx512F.ConvertToVector512Double(Avx.LoadVector256(x1 + p));
            var v2 = Avx512F.ConvertToVector512Double(Avx.LoadVector256(x2 + p));
            var v3 = Avx512F.ConvertToVector512Double(Avx.LoadVector256(x3 + p));
            var w = Avx512F.ConvertToVector512Double(Avx.LoadVector256(y + p));
            a00 = Avx512F.FusedMultiplyAdd(v0, w, a00);
            a10 = Avx512F.FusedMultiplyAdd(v1, w, a10);
            a20 = Avx512F.FusedMultiplyAdd(v2, w, a20);
            a30 = Avx512F.FusedMultiplyAdd(v3, w, a30);
            w = Avx512F.ConvertToVector512Double(Avx.LoadVector256(y1 + p));
            a01 = Avx512F.FusedMultiplyAdd(v0, w, a01);
            a11 = Avx512F.FusedMultiplyAdd(v1, w, a11);
            a21 = Avx512F.FusedMultiplyAdd(v2, w, a21);
            a31 = Avx512F.FusedMultiplyAdd(v3, w, a31);
            w = Avx512F.ConvertToVector512Double(Avx.LoadVector256(y2 + p));
            a02 = Avx512F.FusedMultiplyAdd(v0, w, a02);
            a12 = Avx512F.FusedMultiplyAdd(v1, w, a12);
            a22 = Avx512F.FusedMultiplyAdd(v2, w, a22);
            a32 = Avx512F.FusedMultiplyAdd(v3, w, a32);
            w = Avx512F.ConvertToVector512Double(Avx.LoadVector256(y3 + p));
            a03 = Avx512F.FusedMultiplyAdd(v0, w, a03);
            a13 = Avx512F.FusedMultiplyAdd(v1, w, a13);
            a23 = Avx512F.FusedMultiplyAdd(v2, w, a23);
            a33 = Avx512F.FusedMultiplyAdd(v3, w, a33);
        }

        Store(c, a00, a01, a02, a03);
        Store(c + ldc, a10, a11, a12, a13);
        Store(c + (2 * ldc), a20, a21, a22, a23);
        Store(c + (3 * ldc), a30, a31, a32, a33);

        static void Store(double* row, Vector512<double> s0, Vector512<double> s1, Vector512<double> s2, Vector512<double> s3)
        {
            row[0] = Vector512.Sum(s0);
            row[1] = Vector512.Sum(s1);
            row[2] = Vector512.Sum(s2);
            row[3] = Vector512.Sum(s3);
        }
    }
}

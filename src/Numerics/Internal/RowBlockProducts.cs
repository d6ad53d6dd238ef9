using System.Numerics;
using System.Numerics.Tensors;
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
}

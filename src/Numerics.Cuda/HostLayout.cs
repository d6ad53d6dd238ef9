namespace OrleansUws.Numerics.Cuda;

/// <summary>Host-side layout fix-ups between cuBLAS/cuSOLVER's column-major results and the row-major contract.</summary>
internal static class HostLayout
{
    /// <summary>
    /// Copies the upper triangle of the row-major n×n matrix <paramref name="c"/> (leading dimension ldc) into its
    /// lower triangle: cuBLAS's column-major lower triangle is the row-major upper one.
    /// </summary>
    public static void MirrorUpperToLower<T>(Span<T> c, int n, int ldc)
    {
        for (var i = 1; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                c[(i * ldc) + j] = c[(j * ldc) + i];
            }
        }
    }

    /// <summary>Transposes the square n×n matrix <paramref name="a"/> (leading dimension n) in place.</summary>
    public static void TransposeSquare<T>(Span<T> a, int n)
    {
        for (var i = 1; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                (a[(i * n) + j], a[(j * n) + i]) = (a[(j * n) + i], a[(i * n) + j]);
            }
        }
    }

    /// <summary>destination (cols×rows, row-major) = sourceᵀ for the row-major rows×cols <paramref name="source"/>.</summary>
    public static void Transpose<T>(ReadOnlySpan<T> source, int rows, int cols, Span<T> destination)
    {
        if (source.Length < (long)rows * cols || destination.Length < (long)rows * cols)
        {
            throw new ArgumentException($"Transpose of a {rows}×{cols} matrix needs {(long)rows * cols} elements in source ({source.Length}) and destination ({destination.Length}).");
        }

        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                destination[(j * rows) + i] = source[(i * cols) + j];
            }
        }
    }
}

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// Row-major layout moves shared by the numerics library, its backends (the column-major native libraries' results are
/// the transposes of the row-major contract) and its callers: transposes and the mirror of a triangle. Exact copies, so
/// results do not depend on which of them a caller uses.
/// </summary>
public static class MatrixLayout
{
    private const int Block = 32;

    /// <summary>
    /// destination (cols×rows, row-major) = sourceᵀ for the row-major rows×cols <paramref name="source"/>; blocked for
    /// cache locality. Only the first rows·cols elements of each span are read or written.
    /// </summary>
    /// <exception cref="ArgumentException">Either span is shorter than rows·cols.</exception>
    public static void Transpose<T>(ReadOnlySpan<T> source, int rows, int cols, Span<T> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (source.Length < (long)rows * cols || destination.Length < (long)rows * cols)
        {
            throw new ArgumentException(
                $"Transpose of a {rows}×{cols} matrix needs {(long)rows * cols} elements in source ({source.Length}) and destination ({destination.Length}).");
        }

        for (var i0 = 0; i0 < rows; i0 += Block)
        {
            for (var j0 = 0; j0 < cols; j0 += Block)
            {
                int iEnd = Math.Min(i0 + Block, rows), jEnd = Math.Min(j0 + Block, cols);
                for (var i = i0; i < iEnd; i++)
                {
                    for (var j = j0; j < jEnd; j++)
                    {
                        destination[(j * rows) + i] = source[(i * cols) + j];
                    }
                }
            }
        }
    }

    /// <summary>Transposes the square n×n matrix <paramref name="a"/> (leading dimension n) in place.</summary>
    /// <exception cref="ArgumentException"><paramref name="a"/> is shorter than n².</exception>
    public static void TransposeSquare<T>(Span<T> a, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (a.Length < (long)n * n)
        {
            throw new ArgumentException($"Transpose of a {n}×{n} matrix needs {(long)n * n} elements ({a.Length}).", nameof(a));
        }

        for (var i = 1; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                (a[(i * n) + j], a[(j * n) + i]) = (a[(j * n) + i], a[(i * n) + j]);
            }
        }
    }

    /// <summary>
    /// Copies the upper triangle of the row-major n×n matrix <paramref name="c"/> (leading dimension ldc) into its lower
    /// triangle: a column-major library's lower triangle is the row-major upper one.
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
}

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// The row buffer B (Rows × Cols, float32, row-major) of one Frequent Directions sketch (or of one column
/// slice of it), resident where its backend computes so that a GPU sketch is not copied per update. The two
/// heavy steps of a shrink, the small Gram B·Bᵀ and the rotation B ← M·B, run here; the small eigen-solve
/// between them runs on the host in float64.
/// </summary>
public interface ISketchWorkspace : IDisposable
{
    /// <summary>Number of rows of the buffer (2ℓ for a Frequent Directions sketch).</summary>
    int Rows { get; }

    /// <summary>Number of columns (the dimension of the sketched rows, or the width of a column slice).</summary>
    int Cols { get; }

    /// <summary>Copies <paramref name="count"/> rows (row-major, Cols wide) into rows [rowOffset, rowOffset + count).</summary>
    void SetRows(int rowOffset, ReadOnlySpan<float> rows, int count);

    /// <summary>
    /// Rows [rowOffset, rowOffset + count) as host memory the caller may write in place (row-major, Cols wide) — so a
    /// product can be formed directly in the buffer instead of copied in with <see cref="SetRows"/> — or an empty span
    /// when the buffer does not live in host memory (the default; a GPU workspace).
    /// </summary>
    Span<float> HostRows(int rowOffset, int count) => Span<float>.Empty;

    /// <summary>
    /// Rows [rowOffset, rowOffset + count) as host memory to read in place (never copied first, even when shared), valid
    /// until this workspace is next written or disposed; an empty span when the buffer is not host memory (the default).
    /// </summary>
    ReadOnlySpan<float> ReadHostRows(int rowOffset, int count) => ReadOnlySpan<float>.Empty;

    /// <summary>
    /// A workspace holding rows [0, <paramref name="rows"/>) of this one without copying them (copy-on-write: either may
    /// go on writing and neither sees the other's writes), or null when this kind cannot share (the caller copies).
    /// </summary>
    ISketchWorkspace? Share(int rows) => null;

    /// <summary>Sets rows [rowOffset, rowOffset + count) to zero.</summary>
    void ClearRows(int rowOffset, int count);

    /// <summary>Copies rows [rowOffset, rowOffset + count) to <paramref name="destination"/> (row-major).</summary>
    void GetRows(int rowOffset, int count, Span<float> destination);

    /// <summary>
    /// gram (activeRows × activeRows, row-major, float64) = B[0:activeRows]·B[0:activeRows]ᵀ.
    /// </summary>
    void Gram(int activeRows, Span<double> gram);

    /// <summary>
    /// The Gram's columns from <paramref name="fromRow"/> on: destination (activeRows × (activeRows − fromRow),
    /// row-major, float64) = B[0:activeRows]·B[fromRow:activeRows]ᵀ. A shrink whose first rows are already
    /// orthogonal with known norms needs only these. The default takes the whole <see cref="Gram"/> and copies them.
    /// </summary>
    void GramColumns(int activeRows, int fromRow, Span<double> destination)
    {
        if (fromRow < 0 || fromRow > activeRows)
        {
            throw new ArgumentOutOfRangeException(nameof(fromRow), fromRow, $"The first Gram column must lie in [0, {activeRows}].");
        }

        int width = activeRows - fromRow;
        Internal.Guard.AtLeast(nameof(destination), destination.Length, (long)activeRows * width, $"a {activeRows}×{width} block of the Gram");
        using var full = new Internal.PooledArray<double>(activeRows * activeRows);
        Gram(activeRows, full.Span);
        for (int i = 0; i < activeRows; i++)
        {
            full.Span.Slice((i * activeRows) + fromRow, width).CopyTo(destination.Slice(i * width, width));
        }
    }

    /// <summary>
    /// B[0:outRows] ← M·B[0:activeRows] where M is outRows × activeRows (row-major); rows [outRows, Rows) are zeroed.
    /// </summary>
    void RotateRows(int activeRows, ReadOnlySpan<float> m, int outRows);
}

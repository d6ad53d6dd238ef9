namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// Gram columns that a version's solve computed from a Frequent Directions sketch's rows read in place (through a copy
/// sharing them), kept for the sketch's own next shrink, which needs the same entries: until that shrink the sketch
/// only appends rows, so the rows the solve read are unchanged and its shrink computes only the newer rows' columns.
/// The solve runs on one worker while the sketch may absorb on another: an offer replaces the entry whole, and the
/// shrink takes it (once) only while the sketch has not shrunk since the copy was made. Every entry is one row pair's
/// dot product, which the host Gram kernel computes the same way in a 4×4 tile as at a tile's edge when the row length
/// is a multiple of 16 (<see cref="Internal.ShrinkKernels.GramTileIndependent"/>), so a shrink that takes the
/// columns computes bit for bit what it would have computed itself.
/// </summary>
internal sealed class SharedGramColumns
{
    private Entry? _entry;

    /// <summary>Keeps <paramref name="columns"/> (rows × (rows − known), row-major) of the rows at shrink <paramref name="shrinkCount"/>.</summary>
    public void Offer(int shrinkCount, int known, int rows, ReadOnlySpan<double> columns) =>
        Volatile.Write(ref _entry, new Entry(shrinkCount, known, rows, columns[..(rows * (rows - known))].ToArray()));

    /// <summary>
    /// The kept columns when they belong to a buffer at shrink <paramref name="shrinkCount"/> with <paramref name="known"/>
    /// orthogonal rows and hold some rows past them, at most <paramref name="active"/>; null otherwise. Either way the
    /// entry is let go.
    /// </summary>
    public Entry? Take(int shrinkCount, int known, int active) =>
        Interlocked.Exchange(ref _entry, null) is { } entry && entry.ShrinkCount == shrinkCount && entry.Known == known
            && entry.Rows > known && entry.Rows <= active
            ? entry
            : null;

    /// <summary>Columns [known, rows) of the Gram of buffer rows [0, rows), for every one of those rows.</summary>
    public sealed record Entry(int ShrinkCount, int Known, int Rows, double[] Columns);
}

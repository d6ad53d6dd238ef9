namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// Gram columns of a Frequent Directions sketch's rows that both a version's solve (reading them in place through a copy
/// that shares them) and the sketch's own next shrink need: until that shrink the sketch only appends rows, so the rows
/// the copy holds are the first rows of the buffer the shrink reads. Whichever computes them first hands them to the
/// other. A solve offers its columns for the shrink; a shrink that finds a copy still waiting for its version offers
/// that copy's block of its own columns, and the solve takes them. Solve and shrink run on different workers: entries are
/// swapped whole, and each is taken once, only for the rows it was computed from (the shrink count since the copy, the
/// orthogonal rows and the row count all agree). Every entry is one row pair's dot product, which the host Gram kernel
/// computes the same way in a 4×4 tile as at a tile's edge when the row length is a multiple of 16
/// (<see cref="Internal.ShrinkKernels.GramTileIndependent"/>), so whoever takes the columns has, bit for bit, what it
/// would have computed itself.
/// </summary>
internal sealed class SharedGramColumns
{
    private Entry? _entry;
    private Rows? _waiting;

    /// <summary>
    /// Notes a copy of the rows at shrink <paramref name="shrinkCount"/> (<paramref name="known"/> of them orthogonal,
    /// <paramref name="rows"/> in all) whose version is still to be solved: the sketch's next shrink offers it their
    /// columns. A later copy replaces it.
    /// </summary>
    public void Expect(int shrinkCount, int known, int rows) => Volatile.Write(ref _waiting, new Rows(shrinkCount, known, rows));

    /// <summary>Keeps <paramref name="columns"/> (rows × (rows − known), row-major) of the rows at shrink <paramref name="shrinkCount"/>, computed by a solve.</summary>
    public void Offer(int shrinkCount, int known, int rows, ReadOnlySpan<double> columns)
    {
        Volatile.Write(ref _waiting, null);
        Volatile.Write(ref _entry, new Entry(shrinkCount, known, rows, columns[..(rows * (rows - known))].ToArray()));
    }

    /// <summary>
    /// Offers the waiting copy (<see cref="Expect"/>) its block of a shrink's columns: <paramref name="columns"/> are
    /// columns [known, active) of the Gram of rows [0, active) at shrink <paramref name="shrinkCount"/>, the copy's rows
    /// being the first of them. Nothing when no copy of these rows waits.
    /// </summary>
    public void OfferFromShrink(int shrinkCount, int known, int active, ReadOnlySpan<double> columns)
    {
        if (Interlocked.Exchange(ref _waiting, null) is not { } waiting || waiting.ShrinkCount != shrinkCount || waiting.Known != known
            || waiting.Count <= known || waiting.Count > active)
        {
            return;
        }

        int width = active - known, older = waiting.Count - known;
        var block = new double[waiting.Count * older];
        for (int i = 0; i < waiting.Count; i++)
        {
            columns.Slice(i * width, older).CopyTo(block.AsSpan(i * older, older));
        }

        Volatile.Write(ref _entry, new Entry(shrinkCount, known, waiting.Count, block));
    }

    /// <summary>
    /// The kept columns when they belong to a buffer at shrink <paramref name="shrinkCount"/> with <paramref name="known"/>
    /// orthogonal rows and hold some rows past them, at most <paramref name="active"/>; null otherwise. Either way the
    /// entry is let go: the shrink that asks makes every older entry stale.
    /// </summary>
    public Entry? Take(int shrinkCount, int known, int active) =>
        Interlocked.Exchange(ref _entry, null) is { } entry && entry.ShrinkCount == shrinkCount && entry.Known == known
            && entry.Rows > known && entry.Rows <= active
            ? entry
            : null;

    /// <summary>
    /// Copies to <paramref name="destination"/> the kept columns of exactly <paramref name="rows"/> rows at shrink
    /// <paramref name="shrinkCount"/> with <paramref name="known"/> orthogonal ones, and lets them go; false (and the
    /// entry left for the shrink) when they are not those.
    /// </summary>
    public bool TakeFor(int shrinkCount, int known, int rows, Span<double> destination)
    {
        var entry = Volatile.Read(ref _entry);
        if (entry is null || entry.ShrinkCount != shrinkCount || entry.Known != known || entry.Rows != rows
            || Interlocked.CompareExchange(ref _entry, null, entry) != entry)
        {
            return false;
        }

        entry.Columns.CopyTo(destination);
        return true;
    }

    /// <summary>Columns [known, rows) of the Gram of buffer rows [0, rows), for every one of those rows.</summary>
    public sealed record Entry(int ShrinkCount, int Known, int Rows, double[] Columns);

    /// <summary>The rows a copy holds: the original's at shrink <paramref name="ShrinkCount"/>, the first <paramref name="Known"/> orthogonal.</summary>
    private sealed record Rows(int ShrinkCount, int Known, int Count);
}

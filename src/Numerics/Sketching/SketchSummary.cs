using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// A sketch as a merger reads it, without rebuilding it: for Frequent Directions the ℓ' ≤ 2ℓ buffered rows B (after a
/// shrink the first ℓ − 1 are orthogonal and already carry the spectrum; BᵀB is the sketched covariance), for an exact
/// Gram or a Nyström sketch nothing beyond the blob; plus counts, energy, certificate and the column sums. Read from the blob that
/// <see cref="ICovarianceSketch.Serialize"/> writes (same format, same checks), so a slice ships what it checkpoints; or,
/// in the same process, from a Frequent Directions sketch itself (<see cref="Of"/>: its rows read in place, never
/// serialised), which the summary then owns.
/// </summary>
public sealed class SketchSummary : IDisposable
{
    private readonly int _rowsOffset;
    private readonly int _rowsLength;
    private readonly FrequentDirectionsSketch? _sketch;
    private readonly double[] _orthogonal;
    private byte[]? _serialized;

    private SketchSummary(
        SketchHeader header, int rowsOffset, int rowsLength, double[] sum, byte[]? serialized, FrequentDirectionsSketch? sketch = null, double[]? orthogonal = null)
    {
        _orthogonal = orthogonal ?? [];
        _rowsOffset = rowsOffset;
        _rowsLength = rowsLength;
        _sketch = sketch;
        Kind = header.Kind;
        MeanMode = header.MeanMode;
        Dimension = header.Dimension;
        Ell = header.Ell;
        RowCount = header.RowCount;
        UnitCount = header.UnitCount;
        TotalEnergy = header.Energy;
        Certificate = header.Certificate;
        Sum = sum;
        _serialized = serialized;
    }

    /// <summary>Frequent Directions, exact Gram or Nyström.</summary>
    public SketchKind Kind { get; }

    /// <summary>How the sketch treats the mean.</summary>
    public MeanMode MeanMode { get; }

    /// <summary>Dimension d of the rows.</summary>
    public int Dimension { get; }

    /// <summary>ℓ of a Frequent Directions sketch, s of a Nyström one (0 for an exact Gram).</summary>
    public int Ell { get; }

    /// <summary>Rows absorbed.</summary>
    public long RowCount { get; }

    /// <summary>Units (models) absorbed.</summary>
    public long UnitCount { get; }

    /// <summary>Energy of everything absorbed (the sketch's <see cref="ICovarianceSketch.TotalEnergy"/>).</summary>
    public double TotalEnergy { get; }

    /// <summary>Frequent Directions certificate (total shrinkage δ); 0 for an exact Gram and for a Nyström sketch, whose certificate is computed from its reconstruction, not stored.</summary>
    public double Certificate { get; }

    /// <summary>Rows held: a Frequent Directions sketch's buffered rows (0 for an exact Gram or a Nyström sketch).</summary>
    public int BufferedRows => Dimension == 0 ? 0 : _rowsLength / Dimension;

    /// <summary>Column sums of the absorbed rows (length d; empty with <see cref="MeanMode.None"/>).</summary>
    public double[] Sum { get; }

    /// <summary>The blob this summary was read from, or its sketch's (what a merger falls back to when it must rebuild the sketch).</summary>
    public byte[] Serialized => _serialized ??= _sketch!.Serialize();

    /// <summary>
    /// Hands Gram columns computed from <see cref="RowsInPlace"/> to the sketch whose rows they are, for its next shrink
    /// (<see cref="FrequentDirectionsSketch.OfferGramColumns"/>); nothing for a summary read from bytes.
    /// </summary>
    internal void OfferGramColumns(int known, int rows, ReadOnlySpan<double> columns) => _sketch?.OfferGramColumns(known, rows, columns);

    /// <summary>
    /// Copies to <paramref name="columns"/> the Gram columns of <see cref="RowsInPlace"/> that the sketch whose rows they
    /// are computed in a shrink (<see cref="FrequentDirectionsSketch.TakeGramColumns"/>); false when there are none.
    /// </summary>
    internal bool TakeGramColumns(int known, int rows, Span<double> columns) => _sketch?.TakeGramColumns(known, rows, columns) ?? false;

    /// <summary>Copies the <see cref="BufferedRows"/>×d rows (row-major) to <paramref name="destination"/>.</summary>
    public void CopyRows(Span<float> destination)
    {
        if (_sketch is not null)
        {
            _sketch.CopyRows(destination);
            return;
        }

        RowsInPlace.CopyTo(destination);
    }

    /// <summary>
    /// The <see cref="BufferedRows"/>×d rows read in place — from the blob, or from the sketch's host buffer — without a
    /// copy; empty when they are only reachable by <see cref="CopyRows"/> (a sketch on a device) or there are none.
    /// </summary>
    internal ReadOnlySpan<float> RowsInPlace => _sketch is not null
        ? _sketch.HostRowsInPlace()
        : MemoryMarshal.Cast<byte, float>(_serialized.AsSpan(_rowsOffset, _rowsLength * sizeof(float)));

    /// <summary>
    /// Squared norms of the first rows of <see cref="RowsInPlace"/>, mutually orthogonal since the sketch's last shrink
    /// (Frequent Directions; empty when none are known): their block of the rows' Gram is diagonal.
    /// </summary>
    internal ReadOnlySpan<double> OrthogonalEnergies => _sketch is not null ? _sketch.OrthogonalEnergies : _orthogonal;

    /// <summary>
    /// The summary of <paramref name="sketch"/>, which it takes over (disposed with it): a Frequent Directions sketch is
    /// read in place; any other kind is read from its blob (and disposed at once).
    /// </summary>
    public static SketchSummary Of(ICovarianceSketch sketch)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        if (sketch is not FrequentDirectionsSketch fd)
        {
            using (sketch)
            {
                return Read(sketch.Serialize());
            }
        }

        return new SketchSummary(fd.Header, 0, fd.BufferedRows * fd.Dimension, fd.CopySum(), serialized: null, fd);
    }

    /// <summary>Disposes the sketch read in place (nothing for a blob).</summary>
    public void Dispose() => _sketch?.Dispose();

    /// <summary>Reads a Frequent Directions, exact-Gram or Nyström blob.</summary>
    /// <exception cref="SketchFormatException">The blob is truncated, corrupt, a column slice or holds a non-finite value.</exception>
    public static SketchSummary Read(byte[] serialized)
    {
        ArgumentNullException.ThrowIfNull(serialized);
        var header = SketchSerializer.ReadSketch(serialized, out var body, out var sum);
        int offset = 0, length = 0;
        double[] energies = [];
        if (header.Kind == SketchKind.FrequentDirections && header.BufferedRows > 0)
        {
            if (header.Version >= 2)
            {
                int orthogonal = BinaryPrimitives.ReadInt32LittleEndian(body);
                energies = MemoryMarshal.Cast<byte, double>(body.Slice(SketchSerializer.OrthogonalPrefixLength, orthogonal * sizeof(double))).ToArray();
                body = body[(SketchSerializer.OrthogonalPrefixLength + (orthogonal * sizeof(double)))..];
            }

            length = header.BufferedRows * header.Dimension;
            var rows = SketchSerializer.FiniteRows(body, header.Dimension)[..length];
            offset = (int)Unsafe.ByteOffset(
                ref MemoryMarshal.GetArrayDataReference(serialized), ref Unsafe.As<float, byte>(ref MemoryMarshal.GetReference(rows)));
        }

        return new SketchSummary(header, offset, length, sum, serialized, orthogonal: energies);
    }

    /// <summary>The mean μ = Sum / RowCount into <paramref name="destination"/> (zeros when empty).</summary>
    internal void CopyMean(Span<double> destination)
    {
        for (int j = 0; j < Dimension; j++)
        {
            destination[j] = RowCount == 0 || Sum.Length == 0 ? 0 : Sum[j] / RowCount;
        }
    }
}

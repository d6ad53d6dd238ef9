using System.Buffers.Binary;
using System.IO.Hashing;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The binary form of a sketch, little-endian:
/// <c>"UWSK"</c> magic, u16 version (2), u8 kind, u8 mean mode, i32 dimension, i32 ℓ, i32 buffered rows,
/// i32 shrink count, i64 rows, i64 units, f64 certificate, f64 energy, i64 payload length, the payload
/// (Frequent Directions: i32 count o of leading rows known orthogonal, i32 0, o float64 squared norms, then
/// bufferedRows×d float32; column slices: bufferedRows×d float32; exact Gram: d×d float64; Nyström: Y = C·Ω, d×s
/// float64 with s in the ℓ field; then the d float64
/// running sum unless the mean mode is None), and the XxHash64 of everything before it. Version 1 (no
/// orthogonal-rows prefix) is still read. A blob that is truncated, has
/// trailing bytes, a wrong magic/version/kind/mode, inconsistent lengths, a bad checksum or non-finite
/// values is rejected with a <see cref="SketchFormatException"/> naming the field; nothing is half-loaded.
/// </summary>
public static class SketchSerializer
{
    /// <summary>The format version this library writes.</summary>
    public const ushort Version = 2;

    /// <summary>The oldest format version this library reads (1: Frequent Directions blobs without the orthogonal-rows prefix).</summary>
    public const ushort OldestReadableVersion = 1;

    /// <summary>Bytes of the fixed part of the Frequent Directions prefix (count and padding) in version 2.</summary>
    internal const int OrthogonalPrefixLength = 8;

    /// <summary>Header bytes before the payload.</summary>
    public const int HeaderLength = 64;

    /// <summary>Checksum bytes after the payload.</summary>
    public const int ChecksumLength = 8;

    private static ReadOnlySpan<byte> Magic => "UWSK"u8;

    /// <summary>Reads a sketch written by <see cref="ICovarianceSketch.Serialize"/>, creating its buffers on <paramref name="backend"/>.</summary>
    /// <exception cref="SketchFormatException">The blob is truncated, corrupt, of another version or inconsistent.</exception>
    public static ICovarianceSketch Deserialize(ReadOnlySpan<byte> blob, IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var header = ReadSketch(blob, out var body, out var sum);
        return header.Kind switch
        {
            SketchKind.FrequentDirections => FrequentDirectionsSketch.Restore(backend, header, body, sum),
            SketchKind.Nystrom => NystromSketch.Restore(backend, header, body, sum),
            _ => ExactGramSketch.Restore(backend, header, body, sum),
        };
    }

    /// <summary>Reads the header, payload body and running sum of a column slice blob (kind checked).</summary>
    internal static SketchHeader ReadColumnSlice(ReadOnlySpan<byte> blob, out ReadOnlySpan<byte> body, out double[] sum)
    {
        var header = ReadHeader(blob, out var payload);
        if (header.Kind != SketchKind.ColumnSlice)
        {
            throw new SketchFormatException($"Sketch blob holds a {header.Kind} sketch, not a column slice.");
        }

        sum = ReadSum(header, payload, out body);
        return header;
    }

    /// <summary>Reads the header, payload body and running sum of a Frequent Directions or exact-Gram blob.</summary>
    internal static SketchHeader ReadSketch(ReadOnlySpan<byte> blob, out ReadOnlySpan<byte> body, out double[] sum)
    {
        var header = ReadHeader(blob, out var payload);
        if (header.Kind == SketchKind.ColumnSlice)
        {
            throw new SketchFormatException("Sketch blob holds a column slice; read it with ColumnSliceSketch.Deserialize.");
        }

        sum = ReadSum(header, payload, out body);
        return header;
    }

    /// <summary>The buffered rows of a payload body (rows×dimension float32), checked finite.</summary>
    internal static ReadOnlySpan<float> FiniteRows(ReadOnlySpan<byte> body, int dimension)
    {
        var rows = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(body);
        int bad = Internal.Guard.FirstNonFinite(rows);
        if (bad >= 0)
        {
            throw new SketchFormatException($"Sketch blob: buffered row {bad / dimension}, column {bad % dimension} is not finite.");
        }

        return rows;
    }

    private static double[] ReadSum(SketchHeader header, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> body)
    {
        int sumBytes = header.MeanMode == MeanMode.None ? 0 : header.Dimension * sizeof(double);
        body = payload[..^sumBytes];
        var sumSpan = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(payload[^sumBytes..]);
        var sum = sumSpan.ToArray();
        if (Array.Exists(sum, s => !double.IsFinite(s)))
        {
            throw new SketchFormatException("Sketch blob: the running sum holds a non-finite value.");
        }

        return sum;
    }

    /// <summary>Writes header, payload (filled by <paramref name="writePayload"/>) and checksum.</summary>
    internal static byte[] Write(in SketchHeader h, int payloadLength, Action<Span<byte>> writePayload)
    {
        var blob = new byte[HeaderLength + payloadLength + ChecksumLength];
        Span<byte> s = blob;
        Magic.CopyTo(s);
        BinaryPrimitives.WriteUInt16LittleEndian(s[4..], Version);
        s[6] = (byte)h.Kind;
        s[7] = (byte)h.MeanMode;
        BinaryPrimitives.WriteInt32LittleEndian(s[8..], h.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(s[12..], h.Ell);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], h.BufferedRows);
        BinaryPrimitives.WriteInt32LittleEndian(s[20..], h.ShrinkCount);
        BinaryPrimitives.WriteInt64LittleEndian(s[24..], h.RowCount);
        BinaryPrimitives.WriteInt64LittleEndian(s[32..], h.UnitCount);
        BinaryPrimitives.WriteDoubleLittleEndian(s[40..], h.Certificate);
        BinaryPrimitives.WriteDoubleLittleEndian(s[48..], h.Energy);
        BinaryPrimitives.WriteInt64LittleEndian(s[56..], payloadLength);
        writePayload(s.Slice(HeaderLength, payloadLength));
        BinaryPrimitives.WriteUInt64LittleEndian(s[^ChecksumLength..], XxHash64.HashToUInt64(s[..^ChecksumLength]));
        return blob;
    }

    private static SketchHeader ReadHeader(ReadOnlySpan<byte> s, out ReadOnlySpan<byte> payload)
    {
        if (s.Length < HeaderLength + ChecksumLength)
        {
            throw new SketchFormatException($"Sketch blob is truncated: {s.Length} bytes, the header and checksum alone need {HeaderLength + ChecksumLength}.");
        }

        if (!s[..4].SequenceEqual(Magic))
        {
            throw new SketchFormatException("Sketch blob has a wrong magic number (expected \"UWSK\").");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(s[4..]);
        if (version < OldestReadableVersion || version > Version)
        {
            throw new SketchFormatException($"Sketch blob has format version {version}; this library reads versions {OldestReadableVersion} to {Version}.");
        }

        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(s[56..]);
        long expected = HeaderLength + payloadLength + ChecksumLength;
        if (payloadLength < 0 || expected != s.Length)
        {
            throw new SketchFormatException(expected > s.Length || payloadLength < 0
                ? $"Sketch blob is truncated: the header declares a {payloadLength}-byte payload ({expected} bytes in all) but the blob has {s.Length}."
                : $"Sketch blob has {s.Length - expected} trailing bytes after its declared {payloadLength}-byte payload.");
        }

        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(s[^ChecksumLength..]);
        ulong actual = XxHash64.HashToUInt64(s[..^ChecksumLength]);
        if (stored != actual)
        {
            throw new SketchFormatException($"Sketch blob checksum mismatch (stored {stored:x16}, computed {actual:x16}): the blob is corrupt.");
        }

        var h = new SketchHeader(
            (SketchKind)s[6], (MeanMode)s[7],
            BinaryPrimitives.ReadInt32LittleEndian(s[8..]), BinaryPrimitives.ReadInt32LittleEndian(s[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(s[16..]), BinaryPrimitives.ReadInt32LittleEndian(s[20..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[24..]), BinaryPrimitives.ReadInt64LittleEndian(s[32..]),
            BinaryPrimitives.ReadDoubleLittleEndian(s[40..]), BinaryPrimitives.ReadDoubleLittleEndian(s[48..]), version);
        payload = s.Slice(HeaderLength, (int)payloadLength);
        Validate(h, payload);
        return h;
    }

    private static void Validate(in SketchHeader h, ReadOnlySpan<byte> payload)
    {
        long payloadLength = payload.Length;
        if (!Enum.IsDefined(h.Kind))
        {
            throw new SketchFormatException($"Sketch blob has an unknown kind {(byte)h.Kind}.");
        }

        if (!Enum.IsDefined(h.MeanMode))
        {
            throw new SketchFormatException($"Sketch blob has an unknown mean mode {(byte)h.MeanMode}.");
        }

        if (h.Dimension <= 0)
        {
            throw new SketchFormatException($"Sketch blob has dimension {h.Dimension}; it must be positive.");
        }

        if (h.RowCount < 0 || h.UnitCount < 0 || h.ShrinkCount < 0)
        {
            throw new SketchFormatException($"Sketch blob has negative counts (rows {h.RowCount}, units {h.UnitCount}, shrinks {h.ShrinkCount}).");
        }

        if (!double.IsFinite(h.Certificate) || h.Certificate < 0 || !double.IsFinite(h.Energy) || h.Energy < 0)
        {
            throw new SketchFormatException($"Sketch blob has an invalid certificate {h.Certificate} or energy {h.Energy}.");
        }

        if (h.Kind == SketchKind.ColumnSlice && h.MeanMode == MeanMode.Centre)
        {
            throw new SketchFormatException("Sketch blob is a column slice with mean mode Centre; column slices track the mean or keep none.");
        }

        long body;
        if (h.Kind is SketchKind.FrequentDirections or SketchKind.ColumnSlice)
        {
            if (h.Ell < 2 || h.BufferedRows < 0 || h.BufferedRows > 2L * h.Ell)
            {
                throw new SketchFormatException($"Sketch blob has ℓ = {h.Ell} and {h.BufferedRows} buffered rows; ℓ must be ≥ 2 and the rows ≤ 2ℓ.");
            }

            body = ((long)h.BufferedRows * h.Dimension * sizeof(float)) + (h.Kind == SketchKind.FrequentDirections ? OrthogonalPrefixBytes(h, payload) : 0);
        }
        else if (h.Kind == SketchKind.Nystrom)
        {
            if (h.Ell < 2 || h.Ell > h.Dimension || h.BufferedRows != 0)
            {
                throw new SketchFormatException($"Sketch blob is a Nyström sketch with s = {h.Ell} test columns and {h.BufferedRows} buffered rows; s must lie in [2, d = {h.Dimension}] and it buffers no rows.");
            }

            body = (long)h.Dimension * h.Ell * sizeof(double);
        }
        else
        {
            body = (long)h.Dimension * h.Dimension * sizeof(double);
        }

        long sum = h.MeanMode == MeanMode.None ? 0 : (long)h.Dimension * sizeof(double);
        if (payloadLength != body + sum)
        {
            throw new SketchFormatException($"Sketch blob payload is {payloadLength} bytes but a {h.Kind} sketch of dimension {h.Dimension} with these rows and mean mode {h.MeanMode} needs {body + sum}.");
        }
    }

    /// <summary>Bytes of a version-2 Frequent Directions prefix (0 for version 1), checking its count and norms.</summary>
    private static long OrthogonalPrefixBytes(in SketchHeader h, ReadOnlySpan<byte> payload)
    {
        if (h.Version < 2)
        {
            return 0;
        }

        if (payload.Length < OrthogonalPrefixLength)
        {
            throw new SketchFormatException($"Sketch blob payload is {payload.Length} bytes; a Frequent Directions payload starts with an {OrthogonalPrefixLength}-byte prefix.");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (count < 0 || count > h.BufferedRows || count > h.Ell || BinaryPrimitives.ReadInt32LittleEndian(payload[4..]) != 0)
        {
            throw new SketchFormatException($"Sketch blob declares {count} orthogonal rows; it must lie in [0, min(buffered rows {h.BufferedRows}, ℓ = {h.Ell})] with a zero pad.");
        }

        long bytes = OrthogonalPrefixLength + ((long)count * sizeof(double));
        if (payload.Length < bytes)
        {
            throw new SketchFormatException($"Sketch blob payload is {payload.Length} bytes, shorter than its {count} orthogonal-row norms.");
        }

        var norms = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(payload.Slice(OrthogonalPrefixLength, count * sizeof(double)));
        foreach (double norm in norms)
        {
            if (!double.IsFinite(norm) || norm < 0)
            {
                throw new SketchFormatException($"Sketch blob has an orthogonal-row squared norm {norm}; it must be finite and non-negative.");
            }
        }

        return bytes;
    }
}

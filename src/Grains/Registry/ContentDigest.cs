using System.Buffers;
using System.Runtime.CompilerServices;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// A model's SHA-256 content hash held as its 32 bytes, the form the registry keeps in memory for every model (the
/// lower-case hex string that <see cref="ModelFormats.Admission.ModelAdmission.ContentHash"/> returns, and records carry,
/// is 64 characters: about 150 bytes of heap per model).
/// </summary>
internal readonly struct ContentDigest
{
    /// <summary>Bytes of a SHA-256 digest.</summary>
    public const int Length = 32;

    private readonly Bytes _bytes;

    private ContentDigest(Bytes bytes) => _bytes = bytes;

    /// <summary>
    /// Reads <paramref name="hex"/> when it is a digest in canonical form (64 lower-case hex digits), the only form whose
    /// text <see cref="ToString"/> gives back exactly; false otherwise.
    /// </summary>
    public static bool TryParse(string? hex, out ContentDigest digest)
    {
        digest = default;
        if (hex is not { Length: 2 * Length } || hex.AsSpan().ContainsAnyExcept(LowerHex))
        {
            return false;
        }

        var bytes = default(Bytes);
        if (Convert.FromHexString(hex, bytes, out _, out var written) != OperationStatus.Done || written != Length)
        {
            return false;
        }

        digest = new ContentDigest(bytes);
        return true;
    }

    /// <summary>The digest as 64 lower-case hex digits.</summary>
    public override string ToString() => Convert.ToHexStringLower(_bytes);

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    [InlineArray(Length)]
    private struct Bytes
    {
        private byte _first;
    }
}

using System.Buffers.Binary;
using System.Globalization;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// A validated safetensors header, independent of how the bytes are fetched: <see cref="SafetensorsFile"/> reads it
/// with positioned reads of the local file, a remote model store can fetch the 8-byte prefix and the header with two range requests,
/// then fetch any tensor's byte range (<see cref="DataOffset"/> + <see cref="TensorInfo.DataStart"/>) and convert it
/// with <see cref="Convert"/>, getting the same checks and messages.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted (bytes); larger length prefixes are treated as corrupt.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes of the little-endian header-length prefix.</summary>
    public const int PrefixBytes = 8;

    private readonly Dictionary<string, TensorInfo> _byName;

    private SafetensorsHeader(string path, long dataOffset, List<TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        DataOffset = dataOffset;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file (or URL) the header came from, used in messages.</summary>
    public string Path { get; }

    /// <summary>Absolute offset of the byte buffer: 8 + header length.</summary>
    public long DataOffset { get; }

    /// <summary>The tensors, in byte order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and checks the header length from the first 8 bytes of a file of <paramref name="fileLength"/> bytes.</summary>
    /// <param name="prefix">The first 8 bytes of the file (or all of it when it is shorter).</param>
    /// <param name="fileLength">The file's length.</param>
    /// <param name="path">The file, for messages.</param>
    /// <returns>The header length in bytes.</returns>
    /// <exception cref="ModelFormatException">Truncated, or the length is absurd or beyond the file.</exception>
    public static int ReadLength(ReadOnlySpan<byte> prefix, long fileLength, string path)
    {
        if (fileLength < PrefixBytes)
        {
            throw TruncatedPrefix(fileLength, path);
        }

        if (prefix.Length < PrefixBytes)
        {
            throw new ArgumentException($"The prefix holds {prefix.Length} bytes; {PrefixBytes} are needed.", nameof(prefix));
        }

        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length > MaxHeaderBytes)
        {
            // The length is the file's first 8 bytes: never quote it (a file that is not safetensors would have its content echoed).
            throw new ModelFormatException(path, null, $"not a safetensors file: the header length in its first 8 bytes is absurd (more than {MaxHeaderBytes} bytes)");
        }

        if ((long)length > fileLength - PrefixBytes)
        {
            throw new ModelFormatException(path, null, $"truncated or not a safetensors file: the header length in its first 8 bytes exceeds the {fileLength - PrefixBytes} bytes after them");
        }

        return (int)length;
    }

    /// <summary>The exception for a file shorter than the length prefix.</summary>
    internal static ModelFormatException TruncatedPrefix(long fileLength, string path) =>
        new(path, null, $"truncated: {fileLength} bytes, fewer than the 8-byte header length");

    /// <summary>Parses and validates the JSON header of a file of <paramref name="fileLength"/> bytes.</summary>
    /// <param name="header">The header bytes (after the 8-byte prefix).</param>
    /// <param name="fileLength">The whole file's length.</param>
    /// <param name="path">The file, for messages.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ModelFormatException">Any header defect (see the type's rules).</exception>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> header, long fileLength, string path)
    {
        long dataOffset = PrefixBytes + (long)header.Length;
        (List<TensorInfo> tensors, Dictionary<string, string> metadata) = SafetensorsHeaderParser.Parse(header, fileLength - dataOffset, path);
        return new SafetensorsHeader(path, dataOffset, tensors, metadata);
    }

    /// <summary>Looks a tensor up by name; a <see cref="ModelFormatException"/> names it when absent.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The entry.</returns>
    public TensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out TensorInfo? info) ? info : throw new ModelFormatException(Path, name, "no such tensor");

    /// <summary>Looks a tensor up by name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="info">The entry when found.</param>
    /// <returns>Whether it exists.</returns>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorInfo? info) =>
        _byName.TryGetValue(name, out info);

    /// <summary>
    /// Converts raw bytes of a tensor, starting at element <paramref name="firstElement"/>, into float32, throwing a
    /// <see cref="ModelFormatException"/> that names the tensor, element, row and column of the first NaN/±Inf.
    /// </summary>
    /// <param name="tensor">The tensor the bytes belong to.</param>
    /// <param name="firstElement">Index of the first element the bytes hold.</param>
    /// <param name="source">Exactly <c>destination.Length × dtype size</c> bytes.</param>
    /// <param name="destination">The floats.</param>
    public void Convert(TensorInfo tensor, long firstElement, ReadOnlySpan<byte> source, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.DType.IsReadableAsSingle())
        {
            throw new ModelFormatException(Path, tensor.Name, $"dtype {tensor.DType.ToSafetensorsName()} cannot be read as float32");
        }

        int bad = TensorConvert.ToSingle(tensor.DType, source, destination);
        if (bad >= 0)
        {
            long element = firstElement + bad;
            long columns = Math.Max(tensor.Columns, 1);
            throw new ModelFormatException(Path, tensor.Name,
                $"value {destination[bad].ToString(CultureInfo.InvariantCulture)} at element {element} (row {element / columns}, column {element % columns}) is not finite");
        }
    }
}

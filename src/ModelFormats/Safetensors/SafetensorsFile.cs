using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// A safetensors file opened through a read-only memory mapping. Opening reads and validates only the
/// header (allocations proportional to the header, never to the data); tensor reads convert straight from
/// the mapped pages into the caller's buffer, so a slice read touches only the pages of its slice.
/// </summary>
public sealed unsafe class SafetensorsFile : ITensorSource
{
    /// <summary>The largest header accepted (bytes); larger length prefixes are treated as corrupt.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, TensorInfo> _byName;
    private byte* _base;

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* basePointer,
        long dataOffset, List<TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _mapping = mapping;
        _view = view;
        _base = basePointer;
        DataOffset = dataOffset;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc/>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Absolute file offset of the byte buffer (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The open file; dispose it to unmap.</returns>
    /// <exception cref="ModelFormatException">The file is truncated, its header is absurd or invalid, or its tensor table is inconsistent.</exception>
    public static SafetensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw new ModelFormatException(path, null, $"truncated: {length} bytes, fewer than the 8-byte header length");
        }

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        byte* pointer = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            ulong headerLength = BitConverter.IsLittleEndian ? *(ulong*)pointer : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(*(ulong*)pointer);
            if (headerLength > MaxHeaderBytes)
            {
                throw new ModelFormatException(path, null, $"header length {headerLength} is absurd (more than {MaxHeaderBytes} bytes)");
            }

            if ((long)headerLength > length - 8)
            {
                throw new ModelFormatException(path, null, $"truncated: header length {headerLength} exceeds the {length - 8} bytes after the length prefix");
            }

            long dataOffset = 8 + (long)headerLength;
            var header = new ReadOnlySpan<byte>(pointer + 8, (int)headerLength);
            (List<TensorInfo> tensors, Dictionary<string, string> metadata) = SafetensorsHeaderParser.Parse(header, length - dataOffset, path);
            return new SafetensorsFile(path, mapping, view, pointer, dataOffset, tensors, metadata);
        }
        catch
        {
            if (pointer != null)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            if (mapping is null)
            {
                stream.Dispose();
            }

            mapping?.Dispose();
            throw;
        }
    }

    /// <summary>Absolute file offset of a tensor's first byte (for range reads by other processes).</summary>
    /// <param name="tensor">A tensor of this file.</param>
    /// <returns><see cref="DataOffset"/> + <see cref="TensorInfo.DataStart"/>.</returns>
    public long GetFileOffset(TensorInfo tensor) => DataOffset + tensor.DataStart;

    /// <inheritdoc/>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? info) => _byName.TryGetValue(name, out info);

    /// <inheritdoc/>
    public TensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out TensorInfo? info) ? info : throw new ModelFormatException(Path, name, "no such tensor");

    /// <inheritdoc/>
    public void ReadTensor(string name, Span<float> destination)
    {
        TensorInfo tensor = GetReadable(name);
        Guard.Length(destination, tensor.ElementCount, $"tensor '{name}' {tensor.ShapeText}");
        ConvertElements(tensor, 0, destination);
    }

    /// <inheritdoc/>
    public void ReadRows(string name, long rowStart, int rowCount, Span<float> destination)
    {
        TensorInfo tensor = GetReadable(name);
        Guard.Block(rowStart, rowCount, tensor.Rows, nameof(rowStart), $"rows of tensor '{name}' {tensor.ShapeText}");
        Guard.Length(destination, rowCount * tensor.Columns, $"{rowCount} rows of tensor '{name}' {tensor.ShapeText}");
        ConvertElements(tensor, rowStart * tensor.Columns, destination);
    }

    /// <inheritdoc/>
    public void ReadColumns(string name, long columnStart, int columnCount, Span<float> destination)
    {
        TensorInfo tensor = GetReadable(name);
        Guard.Block(columnStart, columnCount, tensor.Columns, nameof(columnStart), $"columns of tensor '{name}' {tensor.ShapeText}");
        Guard.Length(destination, tensor.Rows * columnCount, $"{columnCount} columns of tensor '{name}' {tensor.ShapeText}");
        for (long row = 0; row < tensor.Rows; row++)
        {
            ConvertElements(tensor, row * tensor.Columns + columnStart, destination.Slice((int)(row * columnCount), columnCount));
        }
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_base == null)
        {
            return;
        }

        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    private TensorInfo GetReadable(string name)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        TensorInfo tensor = GetTensor(name);
        if (!tensor.DType.IsReadableAsSingle())
        {
            throw new ModelFormatException(Path, name, $"dtype {tensor.DType.ToSafetensorsName()} cannot be read as float32");
        }

        return tensor;
    }

    private void ConvertElements(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        byte* source = _base + DataOffset + tensor.DataStart + firstElement * tensor.DType.SizeInBytes();
        int count = destination.Length;
        int bad = tensor.DType switch
        {
            TensorDType.BF16 => TensorConvert.WidenBFloat16(new ReadOnlySpan<ushort>(source, count), destination),
            TensorDType.F16 => TensorConvert.WidenHalf(new ReadOnlySpan<Half>(source, count), destination),
            TensorDType.F32 => TensorConvert.CopySingle(new ReadOnlySpan<float>(source, count), destination),
            TensorDType.F64 => TensorConvert.NarrowDouble(new ReadOnlySpan<double>(source, count), destination),
            _ => throw new InvalidOperationException("unreachable: dtype checked readable"),
        };
        if (bad >= 0)
        {
            long element = firstElement + bad;
            long columns = Math.Max(tensor.Columns, 1);
            throw new ModelFormatException(Path, tensor.Name,
                $"value {destination[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {element} (row {element / columns}, column {element % columns}) is not finite");
        }
    }
}

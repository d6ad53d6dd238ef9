using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// A safetensors file opened through a read-only memory mapping. Opening reads and validates only the
/// header (allocations proportional to the header, never to the data); tensor reads convert straight from
/// the mapped pages into the caller's buffer, so a slice read touches only the pages of its slice.
/// </summary>
public sealed unsafe class SafetensorsFile : ITensorSource
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* basePointer, SafetensorsHeader header)
    {
        Path = path;
        _mapping = mapping;
        _view = view;
        _base = basePointer;
        Header = header;
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>The validated header.</summary>
    public SafetensorsHeader Header { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <inheritdoc/>
    public IReadOnlyList<TensorInfo> Tensors => Header.Tensors;

    /// <summary>Absolute file offset of the byte buffer (8 + header length).</summary>
    public long DataOffset => Header.DataOffset;

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The open file; dispose it to unmap.</returns>
    /// <exception cref="ModelFormatException">The file is truncated, its header is absurd or invalid, or its tensor table is inconsistent.</exception>
    public static SafetensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long length = stream.Length;
        if (length < SafetensorsHeader.PrefixBytes)
        {
            stream.Dispose();
            throw SafetensorsHeader.TruncatedPrefix(length, path);
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
            int headerLength = SafetensorsHeader.ReadLength(new ReadOnlySpan<byte>(pointer, SafetensorsHeader.PrefixBytes), length, path);
            var header = SafetensorsHeader.Parse(new ReadOnlySpan<byte>(pointer + SafetensorsHeader.PrefixBytes, headerLength), length, path);
            return new SafetensorsFile(path, mapping, view, pointer, header);
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
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? info) => Header.TryGetTensor(name, out info);

    /// <inheritdoc/>
    public TensorInfo GetTensor(string name) => Header.GetTensor(name);

    /// <inheritdoc/>
    public void ReadTensor(string name, Span<float> destination)
    {
        TensorInfo tensor = GetReadable(name);
        if (destination.Length != tensor.ElementCount)
        {
            throw Guard.LengthMismatch(destination.Length, tensor.ElementCount, $"tensor '{name}' {tensor.ShapeText}");
        }

        ConvertElements(tensor, 0, destination);
    }

    /// <inheritdoc/>
    public void ReadRows(string name, long rowStart, int rowCount, Span<float> destination)
    {
        TensorInfo tensor = GetReadable(name);
        if (!Guard.InBlock(rowStart, rowCount, tensor.Rows))
        {
            throw Guard.BlockOutside(nameof(rowStart), rowStart, rowCount, tensor.Rows, $"rows of tensor '{name}' {tensor.ShapeText}");
        }

        if (destination.Length != rowCount * tensor.Columns)
        {
            throw Guard.LengthMismatch(destination.Length, rowCount * tensor.Columns, $"{rowCount} rows of tensor '{name}' {tensor.ShapeText}");
        }

        ConvertElements(tensor, rowStart * tensor.Columns, destination);
    }

    /// <inheritdoc/>
    public void ReadColumns(string name, long columnStart, int columnCount, Span<float> destination)
    {
        TensorInfo tensor = GetReadable(name);
        if (!Guard.InBlock(columnStart, columnCount, tensor.Columns))
        {
            throw Guard.BlockOutside(nameof(columnStart), columnStart, columnCount, tensor.Columns, $"columns of tensor '{name}' {tensor.ShapeText}");
        }

        if (destination.Length != tensor.Rows * columnCount)
        {
            throw Guard.LengthMismatch(destination.Length, tensor.Rows * columnCount, $"{columnCount} columns of tensor '{name}' {tensor.ShapeText}");
        }

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
        return GetTensor(name);
    }

    private void ConvertElements(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        const int chunk = 1 << 24; // elements per span, so that chunk × 8 bytes fits an int
        int size = tensor.DType.SizeInBytes();
        for (int done = 0; done < destination.Length; done += chunk)
        {
            int count = Math.Min(chunk, destination.Length - done);
            byte* source = _base + DataOffset + tensor.DataStart + (firstElement + done) * size;
            Header.Convert(tensor, firstElement + done, new ReadOnlySpan<byte>(source, count * size), destination.Slice(done, count));
        }
    }
}

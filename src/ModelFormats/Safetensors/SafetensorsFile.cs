using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// A safetensors file opened for positioned reads. Opening reads and validates only the header (allocations
/// proportional to the header, never to the data); a tensor read fetches the bytes of its rows in blocks of at most
/// <see cref="ReadBlockBytes"/> into a pooled buffer and converts them into the caller's buffer, so a slice read
/// reads only its rows. Positioned reads rather than a memory mapping: each model file is read once, and first
/// touching a mapping takes a page fault per page, several times the CPU of copying the same page-cached bytes
/// (docs/model-formats.md); and a file cut short after opening becomes an error naming it instead of a bus error.
/// </summary>
public sealed class SafetensorsFile : ITensorSource
{
    /// <summary>File bytes fetched per read: large enough to amortise the call, small enough to stay in cache while converted.</summary>
    public const int ReadBlockBytes = 1 << 20;

    private readonly SafeFileHandle _file;

    private SafetensorsFile(string path, SafeFileHandle file, SafetensorsHeader header)
    {
        Path = path;
        _file = file;
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
    /// <returns>The open file; dispose it to close.</returns>
    /// <exception cref="ModelFormatException">The file is truncated, its header is absurd or invalid, or its tensor table is inconsistent.</exception>
    public static SafetensorsFile Open(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(file);
            Span<byte> prefix = stackalloc byte[SafetensorsHeader.PrefixBytes];
            if (length < SafetensorsHeader.PrefixBytes)
            {
                throw SafetensorsHeader.TruncatedPrefix(length, path);
            }

            ReadExactly(file, prefix, 0, path, tensor: null);
            int headerLength = SafetensorsHeader.ReadLength(prefix, length, path);
            var bytes = ArrayPool<byte>.Shared.Rent(headerLength);
            try
            {
                var header = bytes.AsSpan(0, headerLength);
                ReadExactly(file, header, SafetensorsHeader.PrefixBytes, path, tensor: null);
                return new SafetensorsFile(path, file, SafetensorsHeader.Parse(header, length, path));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        catch
        {
            file.Dispose();
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

        if (tensor.Rows == 0 || columnCount == 0)
        {
            return;
        }

        // Whole rows are fetched (a block of them per read) and each row's columns converted from the block.
        int size = tensor.DType.SizeInBytes();
        long rowBytes = tensor.Columns * size;
        int rowsPerBlock = (int)Math.Clamp(ReadBlockBytes / rowBytes, 1, tensor.Rows);
        var bytes = ArrayPool<byte>.Shared.Rent((int)(rowsPerBlock * rowBytes));
        try
        {
            for (long row = 0; row < tensor.Rows; row += rowsPerBlock)
            {
                int rows = (int)Math.Min(rowsPerBlock, tensor.Rows - row);
                var block = bytes.AsSpan(0, (int)(rows * rowBytes));
                ReadExactly(_file, block, DataOffset + tensor.DataStart + (row * rowBytes), Path, name);
                for (int r = 0; r < rows; r++)
                {
                    long first = ((row + r) * tensor.Columns) + columnStart;
                    Header.Convert(tensor, first, block.Slice((int)((r * rowBytes) + (columnStart * size)), columnCount * size),
                        destination.Slice((int)((row + r) * columnCount), columnCount));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();

    private TensorInfo GetReadable(string name)
    {
        ObjectDisposedException.ThrowIf(_file.IsClosed, this);
        return GetTensor(name);
    }

    /// <summary>Converts <paramref name="destination"/>.Length elements of <paramref name="tensor"/> from element <paramref name="firstElement"/> on, a block of file bytes at a time.</summary>
    private void ConvertElements(TensorInfo tensor, long firstElement, Span<float> destination)
    {
        int size = tensor.DType.SizeInBytes();
        int blockElements = ReadBlockBytes / size;
        var bytes = ArrayPool<byte>.Shared.Rent((int)Math.Min(ReadBlockBytes, (long)destination.Length * size));
        try
        {
            for (int done = 0; done < destination.Length; done += blockElements)
            {
                int count = Math.Min(blockElements, destination.Length - done);
                var block = bytes.AsSpan(0, count * size);
                ReadExactly(_file, block, DataOffset + tensor.DataStart + ((firstElement + done) * size), Path, tensor.Name);
                Header.Convert(tensor, firstElement + done, block, destination.Slice(done, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from <paramref name="offset"/>; a file that ends first (cut short after it was
    /// opened) is named in the error, with the tensor being read (null: the header).
    /// </summary>
    private static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset, string path, string? tensor)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = RandomAccess.Read(file, buffer[read..], offset + read);
            if (n == 0)
            {
                throw new ModelFormatException(path, tensor, $"truncated: the file ends at byte {offset + read}, inside {(tensor is null ? "the header" : "this tensor")} (it changed after it was opened)");
            }

            read += n;
        }
    }
}

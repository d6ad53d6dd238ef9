using System.Runtime.InteropServices;
using System.Text.Json;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// Streams a safetensors file: the header (offsets computed from the specs, padded with spaces to a multiple
/// of 8 bytes as the reference writer does) first, then each tensor's values in spec order, converted to the
/// tensor's dtype. Values may be supplied in any chunking. The file is written under a temporary name and
/// moved into place by <see cref="Complete"/>, so readers never see a partial file; disposing without
/// completing deletes it.
/// </summary>
public sealed class SafetensorsWriter : IDisposable
{
    private const int ChunkElements = 16384;

    private readonly string _temporaryPath;
    private readonly TensorSpec[] _tensors;
    private readonly ScratchBuffer<byte> _scratch = new(ChunkElements * sizeof(double));
    private FileStream? _stream;
    private int _current;
    private long _writtenInCurrent;

    /// <summary>Creates the file and writes its header.</summary>
    /// <param name="path">Destination path.</param>
    /// <param name="tensors">The tensors, in the order their values will be written.</param>
    /// <param name="metadata">The <c>__metadata__</c> map, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A name is empty, reserved or repeated; a dtype is not a float type; a dimension is negative.</exception>
    public SafetensorsWriter(string path, IReadOnlyList<TensorSpec> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        Validate(tensors);
        Path = path;
        _tensors = [.. tensors];
        _temporaryPath = path + ".partial";
        byte[] header = BuildHeader(_tensors, metadata);
        _stream = new FileStream(_temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        _stream.Write(length);
        _stream.Write(header);
        SkipCompletedTensors();
    }

    /// <summary>The final path of the file.</summary>
    public string Path { get; }

    /// <summary>Writes one tensor file in one call.</summary>
    /// <param name="path">Destination path.</param>
    /// <param name="tensors">Specs with their values (row-major float32, exactly <see cref="TensorSpec.ElementCount"/> each).</param>
    /// <param name="metadata">The <c>__metadata__</c> map, or <see langword="null"/>.</param>
    public static void WriteAll(string path, IReadOnlyList<(TensorSpec Spec, float[] Values)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var writer = new SafetensorsWriter(path, tensors.Select(t => t.Spec).ToArray(), metadata);
        foreach ((TensorSpec spec, float[] values) in tensors)
        {
            if (values.Length != spec.ElementCount)
            {
                throw new ArgumentException($"Tensor '{spec.Name}' has {values.Length} values; its shape needs {spec.ElementCount}.", nameof(tensors));
            }

            writer.Write(values);
        }

        writer.Complete();
    }

    /// <summary>Appends values: they fill the current tensor and continue into the next ones in order.</summary>
    /// <param name="values">Row-major float32 values.</param>
    /// <exception cref="InvalidOperationException">More values than the specs declare.</exception>
    public void Write(ReadOnlySpan<float> values)
    {
        FileStream stream = _stream ?? throw new ObjectDisposedException(nameof(SafetensorsWriter));
        while (!values.IsEmpty)
        {
            if (_current == _tensors.Length)
            {
                throw new InvalidOperationException($"{values.Length} values remain after every declared tensor of '{Path}' is full.");
            }

            TensorSpec spec = _tensors[_current];
            int count = (int)Math.Min(Math.Min(values.Length, spec.ElementCount - _writtenInCurrent), ChunkElements);
            stream.Write(Encode(spec.DType, values[..count]));
            values = values[count..];
            _writtenInCurrent += count;
            SkipCompletedTensors();
        }
    }

    /// <summary>Flushes, checks every tensor was written in full, and moves the file into place.</summary>
    /// <exception cref="InvalidOperationException">A tensor has not received all its values.</exception>
    public void Complete()
    {
        FileStream stream = _stream ?? throw new ObjectDisposedException(nameof(SafetensorsWriter));
        if (_current != _tensors.Length)
        {
            TensorSpec spec = _tensors[_current];
            throw new InvalidOperationException(
                $"Tensor '{spec.Name}' of '{Path}' received {_writtenInCurrent} of its {spec.ElementCount} values.");
        }

        stream.Flush(flushToDisk: false);
        stream.Dispose();
        _stream = null;
        File.Move(_temporaryPath, Path, overwrite: true);
        _scratch.Dispose();
    }

    /// <summary>Closes the file; if <see cref="Complete"/> was not called, deletes the partial file.</summary>
    public void Dispose()
    {
        if (_stream is not null)
        {
            _stream.Dispose();
            _stream = null;
            File.Delete(_temporaryPath);
        }

        _scratch.Dispose();
    }

    private ReadOnlySpan<byte> Encode(TensorDType dtype, ReadOnlySpan<float> values)
    {
        Span<byte> bytes = _scratch.Span;
        switch (dtype)
        {
            case TensorDType.F32:
                return MemoryMarshal.AsBytes(values);
            case TensorDType.BF16:
                TensorConvert.NarrowToBFloat16(values, MemoryMarshal.Cast<byte, ushort>(bytes));
                return bytes[..(values.Length * 2)];
            case TensorDType.F16:
                TensorConvert.NarrowToHalf(values, MemoryMarshal.Cast<byte, Half>(bytes));
                return bytes[..(values.Length * 2)];
            default:
                Span<double> wide = MemoryMarshal.Cast<byte, double>(bytes);
                for (int i = 0; i < values.Length; i++)
                {
                    wide[i] = values[i];
                }

                return bytes[..(values.Length * 8)];
        }
    }

    private void SkipCompletedTensors()
    {
        while (_current < _tensors.Length && _writtenInCurrent == _tensors[_current].ElementCount)
        {
            _current++;
            _writtenInCurrent = 0;
        }
    }

    private static void Validate(IReadOnlyList<TensorSpec> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorSpec spec in tensors)
        {
            if (string.IsNullOrEmpty(spec.Name) || spec.Name == SafetensorsHeaderParser.MetadataKey || !names.Add(spec.Name))
            {
                throw new ArgumentException($"Tensor name '{spec.Name}' is empty, reserved or repeated.", nameof(tensors));
            }

            if (!spec.DType.IsReadableAsSingle())
            {
                throw new ArgumentException($"Tensor '{spec.Name}': dtype {spec.DType.ToSafetensorsName()} cannot be written from float32.", nameof(tensors));
            }

            if (spec.Shape.Any(d => d < 0))
            {
                throw new ArgumentException($"Tensor '{spec.Name}': shape [{string.Join(", ", spec.Shape)}] has a negative dimension.", nameof(tensors));
            }
        }
    }

    private static byte[] BuildHeader(TensorSpec[] tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeaderParser.MetadataKey);
                foreach ((string key, string value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (TensorSpec spec in tensors)
            {
                long end = offset + spec.ElementCount * spec.DType.SizeInBytes();
                json.WriteStartObject(spec.Name);
                json.WriteString("dtype", spec.DType.ToSafetensorsName());
                json.WriteStartArray("shape");
                foreach (long dimension in spec.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        int padding = (int)((8 - (buffer.Length % 8)) % 8);
        for (int i = 0; i < padding; i++)
        {
            buffer.WriteByte((byte)' ');
        }

        return buffer.ToArray();
    }
}

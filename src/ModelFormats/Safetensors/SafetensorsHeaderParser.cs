using System.Text.Json;

namespace OrleansUws.ModelFormats.Safetensors;

/// <summary>
/// Parses and validates a safetensors JSON header: every entry has <c>dtype</c>, <c>shape</c> and
/// <c>data_offsets</c>; offsets match dtype × shape and tile the byte buffer exactly (no overlap, no gap),
/// as the reference implementation requires; names are unique; <c>__metadata__</c> maps strings to strings.
/// </summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The reserved key of the metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Parses <paramref name="header"/> for a buffer of <paramref name="bufferLength"/> bytes.</summary>
    public static (List<TensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> header, long bufferLength, string path)
    {
        var tensors = new List<TensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
            Expect(ref reader, JsonTokenType.StartObject, path, null, "the header is not a JSON object");
            while (true)
            {
                Read(ref reader, path, null);
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                string name = reader.GetString()!;
                if (!names.Add(name))
                {
                    throw new ModelFormatException(path, name, "duplicate name in the header");
                }

                if (name == MetadataKey)
                {
                    ReadMetadata(ref reader, metadata, path);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, name, bufferLength, path));
                }
            }

            if (reader.Read())
            {
                throw new ModelFormatException(path, null, "invalid JSON header: content after the closing brace");
            }
        }
        catch (JsonException e)
        {
            // The reader's own message quotes the offending byte: say where, never what.
            throw new ModelFormatException(path, null, $"invalid JSON header at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFormatException(path, null, "invalid JSON header: a string is not valid UTF-8, or a value has the wrong type", e);
        }

        CheckTiling(tensors, bufferLength, path);
        return (tensors, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string path)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, null, $"'{MetadataKey}' is not an object of strings");
        while (true)
        {
            Read(ref reader, path, null);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }

            string key = reader.GetString()!;
            Expect(ref reader, JsonTokenType.String, path, null, $"'{MetadataKey}' entry '{key}' is not a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw new ModelFormatException(path, null, $"duplicate key '{key}' in '{MetadataKey}'");
            }
        }
    }

    private static TensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long bufferLength, string path)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, name, "entry is not an object");
        TensorDType? dtype = null;
        List<long>? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Read(ref reader, path, name);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    Expect(ref reader, JsonTokenType.String, path, name, "'dtype' is not a string");
                    string text = reader.GetString()!;
                    dtype = TensorDTypeInfo.TryParseSafetensorsName(text, out TensorDType parsed)
                        ? parsed
                        : throw new ModelFormatException(path, name, $"unknown dtype '{text}'");
                    break;
                case "shape":
                    shape = ReadIntegers(ref reader, path, name, "shape");
                    break;
                case "data_offsets":
                    List<long> pair = ReadIntegers(ref reader, path, name, "data_offsets");
                    offsets = pair.Count == 2
                        ? [pair[0], pair[1]]
                        : throw new ModelFormatException(path, name, $"'data_offsets' has {pair.Count} numbers, not 2");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = string.Join(", ", new[] { ("dtype", dtype is null), ("shape", shape is null), ("data_offsets", offsets is null) }
                .Where(f => f.Item2).Select(f => $"'{f.Item1}'"));
            throw new ModelFormatException(path, name, $"entry lacks {missing}");
        }

        long elements = 1;
        foreach (long dimension in shape)
        {
            if (dimension > 0 && elements > long.MaxValue / dimension / 8)
            {
                throw new ModelFormatException(path, name, $"shape [{string.Join(", ", shape)}] has too many elements");
            }

            elements *= dimension;
        }

        long expected = elements * dtype.Value.SizeInBytes();
        (long start, long end) = (offsets[0], offsets[1]);
        if (start > end || end > bufferLength)
        {
            throw new ModelFormatException(path, name,
                $"data_offsets [{start}, {end}) are out of range of the {bufferLength}-byte buffer");
        }

        if (end - start != expected)
        {
            throw new ModelFormatException(path, name,
                $"data_offsets [{start}, {end}) hold {end - start} bytes but {dtype.Value.ToSafetensorsName()} × [{string.Join(", ", shape)}] needs {expected}");
        }

        return new TensorInfo(name, dtype.Value, shape.ToArray(), start, end);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string path, string name, string field)
    {
        Expect(ref reader, JsonTokenType.StartArray, path, name, $"'{field}' is not an array");
        var values = new List<long>();
        while (true)
        {
            Read(ref reader, path, name);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return values;
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
            {
                throw new ModelFormatException(path, name, $"'{field}' holds something other than non-negative integers");
            }

            if (values.Count == 64)
            {
                throw new ModelFormatException(path, name, $"'{field}' has more than 64 entries");
            }

            values.Add(value);
        }
    }

    private static void CheckTiling(List<TensorInfo> tensors, long bufferLength, string path)
    {
        tensors.Sort(static (a, b) => a.DataStart != b.DataStart ? a.DataStart.CompareTo(b.DataStart) : a.DataEnd.CompareTo(b.DataEnd));
        long position = 0;
        TensorInfo? previous = null;
        foreach (TensorInfo tensor in tensors)
        {
            if (tensor.DataStart < position)
            {
                throw new ModelFormatException(path, tensor.Name,
                    $"data_offsets [{tensor.DataStart}, {tensor.DataEnd}) overlap tensor '{previous!.Name}' [{previous.DataStart}, {previous.DataEnd})");
            }

            if (tensor.DataStart > position)
            {
                throw new ModelFormatException(path, tensor.Name,
                    $"data_offsets [{tensor.DataStart}, {tensor.DataEnd}) leave a gap: bytes [{position}, {tensor.DataStart}) belong to no tensor");
            }

            position = tensor.DataEnd;
            previous = tensor;
        }

        if (position != bufferLength)
        {
            throw new ModelFormatException(path, null,
                $"the tensors cover {position} bytes but the buffer after the header holds {bufferLength}");
        }
    }

    private static void Read(ref Utf8JsonReader reader, string path, string? name)
    {
        if (!reader.Read())
        {
            throw new ModelFormatException(path, name, "invalid JSON header: it ends early");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, string? name, string reason)
    {
        Read(ref reader, path, name);
        if (reader.TokenType != type)
        {
            throw new ModelFormatException(path, name, reason);
        }
    }
}

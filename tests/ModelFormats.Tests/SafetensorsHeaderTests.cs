using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>The header API a remote model store uses: parse from fetched bytes, convert fetched byte ranges.</summary>
public sealed class SafetensorsHeaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RangeReadsThroughTheHeaderMatchTheMappedReader()
    {
        float[] values = Enumerable.Range(0, 6 * 5).Select(i => (i - 15) * 0.25f).ToArray();
        string path = _temp.File("remote.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("pad", TensorDType.F32, [3]), [1, 2, 3]), (new TensorSpec("w", TensorDType.BF16, [6, 5]), values)]);
        byte[] file = File.ReadAllBytes(path);

        // What an HTTP range client does: bytes 0..7, then the header, then one tensor's rows.
        int headerLength = SafetensorsHeader.ReadLength(file.AsSpan(0, 8), file.Length, "http://store/remote.safetensors");
        SafetensorsHeader header = SafetensorsHeader.Parse(file.AsSpan(8, headerLength), file.Length, "http://store/remote.safetensors");
        TensorInfo w = header.GetTensor("w");
        long firstElement = 2 * w.Columns; // rows 2..3
        long offset = header.DataOffset + w.DataStart + firstElement * 2;
        var rows = new float[2 * 5];
        header.Convert(w, firstElement, file.AsSpan((int)offset, rows.Length * 2), rows);
        Assert.Equal(values.AsSpan(10, 10).ToArray(), rows);

        using SafetensorsFile mapped = SafetensorsFile.Open(path);
        Assert.Equal(mapped.GetFileOffset(mapped.GetTensor("w")), header.DataOffset + w.DataStart);

        file[(int)offset + 1] = 0x7F; // make element 2·5 (row 2, column 0) +Inf: 0x7F80
        file[(int)offset] = 0x80;
        var error = Assert.Throws<ModelFormatException>(() => header.Convert(w, firstElement, file.AsSpan((int)offset, 20), rows));
        Assert.Equal("http://store/remote.safetensors", error.FilePath);
        Assert.Equal("value Infinity at element 10 (row 2, column 0) is not finite", error.Reason);
    }

    [Fact]
    public void ByteCountMustMatchTheDestination()
    {
        var error = Assert.Throws<ArgumentException>(() => TensorConvert.ToSingle(TensorDType.BF16, new byte[7], new float[4]));
        Assert.Equal("source", error.ParamName);
        Assert.Throws<ArgumentException>(() => TensorConvert.ToSingle(TensorDType.I32, new byte[16], new float[4]));
        Assert.Equal(-1, TensorConvert.ToSingle(TensorDType.F64, BitConverter.GetBytes(2.5), new float[1]));
    }

    [Fact]
    public void PrefixShorterThanEightBytesIsACallerError() =>
        Assert.Throws<ArgumentException>(() => SafetensorsHeader.ReadLength(new byte[4], 100, "x"));
}

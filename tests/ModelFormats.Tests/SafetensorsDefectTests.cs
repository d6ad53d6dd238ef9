using System.Buffers.Binary;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>Every defect the issue lists: a <see cref="ModelFormatException"/> naming the file, the tensor where relevant, and the reason.</summary>
public sealed class SafetensorsDefectTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModelFormatException Rejected(string header, int dataBytes, string? expectedTensor, string expectedReason)
    {
        string path = RawSafetensors.Write(_temp.File("bad.safetensors"), header, dataBytes);
        return Rejected(path, expectedTensor, expectedReason);
    }

    private static ModelFormatException Rejected(string path, string? expectedTensor, string expectedReason)
    {
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, error.FilePath);
        Assert.Equal(expectedTensor, error.TensorName);
        Assert.Contains(expectedReason, error.Reason);
        Assert.StartsWith(path + ": ", error.Message);
        return error;
    }

    [Fact]
    public void TruncatedBeforeTheLengthPrefix()
    {
        string path = _temp.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Rejected(path, null, "truncated: 3 bytes");
        File.WriteAllBytes(path, []);
        Rejected(path, null, "truncated: 0 bytes");
    }

    [Fact]
    public void TruncatedData()
    {
        byte[] good = RawSafetensors.Build("""{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""", new byte[16]);
        string path = _temp.File("cut.safetensors");
        File.WriteAllBytes(path, good[..^4]);
        Rejected(path, "w", "out of range of the 12-byte buffer");
    }

    [Fact]
    public void HeaderLengthLargerThanTheFile()
    {
        string path = _temp.File("h.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);
        Rejected(path, null, "the header length in its first 8 bytes exceeds the 56 bytes");
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        string path = _temp.File("h.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 200_000_000);
        File.WriteAllBytes(path, bytes);
        Rejected(path, null, "not a safetensors file: the header length in its first 8 bytes is absurd");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Rejected(path, null, "is absurd");
    }

    [Fact]
    public void A_file_that_is_not_safetensors_is_never_quoted()
    {
        // A reason may reach an API client: neither the first 8 bytes (as text or as the length they encode) nor the
        // bytes after them may appear in it.
        string path = _temp.File("shadow");
        File.WriteAllText(path, "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n");
        var absurd = Rejected(path, null, "not a safetensors file");
        Assert.DoesNotContain("root", absurd.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(BinaryPrimitives.ReadUInt64LittleEndian("root:*:2"u8).ToString(System.Globalization.CultureInfo.InvariantCulture), absurd.Message, StringComparison.Ordinal);

        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 40);
        "secret=hunter2 and more secret text ....."u8[..40].CopyTo(bytes.AsSpan(8));
        File.WriteAllBytes(path, bytes);
        var json = Rejected(path, null, "invalid JSON header at line 1, byte 1");
        Assert.DoesNotContain("'s'", json.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", json.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32",""", "invalid JSON header")]
    [InlineData("""not json at all""", "invalid JSON header")]
    [InlineData("""[1,2,3]""", "the header is not a JSON object")]
    [InlineData("""{} {"b":2}""", "invalid JSON header")]
    public void InvalidJson(string header, string reason) => Rejected(header, 0, null, reason);

    [Fact]
    public void InvalidUtf8()
    {
        string path = _temp.File("u.safetensors");
        byte[] header = [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        var bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Rejected(path, null, "invalid JSON header");
    }

    [Theory]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "entry lacks 'dtype'")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", "entry lacks 'shape'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2]}}""", "entry lacks 'data_offsets'")]
    [InlineData("""{"w":{}}""", "entry lacks 'dtype', 'shape', 'data_offsets'")]
    [InlineData("""{"w":[]}""", "entry is not an object")]
    [InlineData("""{"w":{"dtype":3,"shape":[2],"data_offsets":[0,8]}}""", "'dtype' is not a string")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "'shape' holds something other than non-negative integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", "'shape' holds something other than non-negative integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "'data_offsets' has 1 numbers, not 2")]
    public void TensorEntryMissingOrMalformedFields(string header, string reason) => Rejected(header, 8, "w", reason);

    [Fact]
    public void UnknownDtype() =>
        Rejected("""{"w":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}""", 8, "w", "unknown dtype 'F31'");

    [Fact]
    public void DataOffsetsOutOfRange() =>
        Rejected("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "w", "data_offsets [0, 16) are out of range of the 8-byte buffer");

    [Fact]
    public void DataOffsetsReversed() =>
        Rejected("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", 8, "w", "out of range");

    [Fact]
    public void DataOffsetsNotMatchingDtypeTimesShape() =>
        Rejected("""{"w":{"dtype":"BF16","shape":[4,8],"data_offsets":[0,96]}}""", 96, "w",
            "data_offsets [0, 96) hold 96 bytes but BF16 × [4, 8] needs 64");

    [Fact]
    public void OverlappingDataOffsets()
    {
        var error = Rejected("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""",
            12, "b", "overlap tensor 'a' [0, 8)");
        Assert.Contains("[4, 12)", error.Reason);
    }

    [Fact]
    public void GapBetweenTensors() =>
        Rejected("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            12, "b", "leave a gap: bytes [4, 8) belong to no tensor");

    [Fact]
    public void TrailingBytesAfterTheLastTensor() =>
        Rejected("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12, null, "the tensors cover 4 bytes but the buffer after the header holds 12");

    [Fact]
    public void DuplicateNames() =>
        Rejected("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
            8, "a", "duplicate name in the header");

    [Fact]
    public void MetadataMustMapStringsToStrings() =>
        Rejected("""{"__metadata__":{"n":3}}""", 0, null, "'__metadata__' entry 'n' is not a string");

    [Fact]
    public void ShapeWhoseElementCountOverflows() =>
        Rejected("""{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8, "w", "has too many elements");

    [Theory]
    [InlineData(TensorDType.F32, 0x7FC00000u, "NaN")]
    [InlineData(TensorDType.BF16, 0x7F80u, "Infinity")]
    [InlineData(TensorDType.F16, 0xFC00u, "-Infinity")]
    public void NonFiniteValuesAreReportedOnReadWithTheTensorAndPosition(TensorDType dtype, uint bits, string shown)
    {
        int size = dtype.SizeInBytes();
        var data = new byte[3 * 4 * size];
        int element = 7; // row 1, column 3
        if (size == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(element * 4), bits);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(element * 2), (ushort)bits);
        }

        string path = RawSafetensors.Write(_temp.File("nan.safetensors"),
            $$$"""{"layer.weight":{"dtype":"{{{dtype.ToSafetensorsName()}}}","shape":[3,4],"data_offsets":[0,{{{data.Length}}}]}}""", data);
        using SafetensorsFile file = SafetensorsFile.Open(path); // opening does not read values
        var error = Assert.Throws<ModelFormatException>(() => file.ReadTensor("layer.weight", new float[12]));
        Assert.Equal("layer.weight", error.TensorName);
        Assert.Equal(path, error.FilePath);
        Assert.Equal($"value {shown} at element 7 (row 1, column 3) is not finite", error.Reason);

        var columns = Assert.Throws<ModelFormatException>(() => file.ReadColumns("layer.weight", 2, 2, new float[6]));
        Assert.Contains("row 1, column 3", columns.Reason);
        var otherRows = new float[4];
        file.ReadRows("layer.weight", 2, 1, otherRows); // a block without the bad value reads fine
    }

    [Fact]
    public void NonFloatTensorsOpenButCannotBeReadAsFloat()
    {
        string path = RawSafetensors.Write(_temp.File("i.safetensors"), """{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}""", 16);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var error = Assert.Throws<ModelFormatException>(() => file.ReadTensor("ids", new float[2]));
        Assert.Equal("dtype I64 cannot be read as float32", error.Reason);
    }
}

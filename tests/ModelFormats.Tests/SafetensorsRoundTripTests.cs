using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class SafetensorsRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static float[] Sequence(int count, float scale) => Enumerable.Range(0, count).Select(i => (i - count / 2) * scale).ToArray();

    [Theory]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.F64)]
    [InlineData(TensorDType.F16)]
    [InlineData(TensorDType.BF16)]
    public void WrittenTensorsReadBackWithMetadataShapesAndValues(TensorDType dtype)
    {
        // Multiples of 1/8 in a small range are exact in every one of the four dtypes.
        float[] matrix = Sequence(5 * 7, 0.125f);
        float[] vector = Sequence(3, 0.5f);
        string path = _temp.File("t.safetensors");
        SafetensorsWriter.WriteAll(path,
            [(new TensorSpec("w", dtype, [5, 7]), matrix), (new TensorSpec("bias", dtype, [3]), vector)],
            new Dictionary<string, string> { ["format"] = "pt", ["what"] = "test" });

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal("test", file.Metadata["what"]);
        Assert.Equal(2, file.Tensors.Count);
        TensorInfo w = file.GetTensor("w");
        Assert.Equal(dtype, w.DType);
        Assert.Equal([5L, 7L], w.Shape);
        Assert.Equal((5, 7), (w.Rows, w.Columns));
        Assert.Equal(0, file.DataOffset % 8); // header padded like the reference writer
        var read = new float[35];
        file.ReadTensor("w", read);
        Assert.Equal(matrix, read);
        var bias = new float[3];
        file.ReadTensor("bias", bias);
        Assert.Equal(vector, bias);
    }

    [Fact]
    public void RowAndColumnBlocksMatchTheWholeTensor()
    {
        float[] matrix = Sequence(6 * 9, 0.25f);
        string path = _temp.File("blocks.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("m", TensorDType.BF16, [6, 9]), matrix)]);
        using SafetensorsFile file = SafetensorsFile.Open(path);

        var rows = new float[2 * 9];
        file.ReadRows("m", 3, 2, rows);
        Assert.Equal(matrix.AsSpan(27, 18).ToArray(), rows);

        var columns = new float[6 * 4];
        file.ReadColumns("m", 5, 4, columns);
        for (int r = 0; r < 6; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                Assert.Equal(matrix[r * 9 + 5 + c], columns[r * 4 + c]);
            }
        }
    }

    [Fact]
    public void BlockReadsAllocateNothing()
    {
        float[] matrix = Enumerable.Range(0, 64 * 40).Select(i => (i % 97 - 48) * 0.125f).ToArray(); // exact in bf16 and f16
        string path = _temp.File("alloc.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("m", TensorDType.BF16, [64, 40]), matrix), (new TensorSpec("h", TensorDType.F16, [64, 40]), matrix)]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var rows = new float[8 * 40];
        var columns = new float[64 * 3];
        file.ReadRows("m", 0, 8, rows); // JIT and first-touch outside the measurement
        file.ReadColumns("h", 0, 3, columns);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 8; i++)
        {
            file.ReadRows("m", i * 8, 8, rows);
            file.ReadColumns("h", i * 3, 3, columns);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(matrix.AsSpan(56 * 40, 8 * 40).ToArray(), rows);
    }

    [Fact]
    public void AFileCutShortAfterOpeningIsAnErrorNamingItAndTheTensor()
    {
        float[] matrix = Enumerable.Range(0, 64 * 40).Select(i => (i % 97 - 48) * 0.125f).ToArray();
        string path = _temp.File("cut.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("m", TensorDType.BF16, [64, 40]), matrix)]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var rows = new float[8 * 40];
        file.ReadRows("m", 56, 8, rows);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(file.DataOffset + (32 * 40 * 2)); // the last 32 rows gone
        }

        file.ReadRows("m", 0, 8, rows); // rows still in the file read as before
        Assert.Equal(matrix.AsSpan(0, 8 * 40).ToArray(), rows);
        var rowsError = Assert.Throws<ModelFormatException>(() => file.ReadRows("m", 56, 8, rows));
        var columnsError = Assert.Throws<ModelFormatException>(() => file.ReadColumns("m", 0, 3, new float[64 * 3]));
        foreach (var error in new[] { rowsError, columnsError })
        {
            Assert.Equal(path, error.FilePath);
            Assert.Equal("m", error.TensorName);
            Assert.StartsWith("truncated", error.Reason);
        }
    }

    [Fact]
    public void ConcurrentReadersOfOneFileSeeTheSameValues()
    {
        float[] matrix = Enumerable.Range(0, 256 * 64).Select(i => (i % 251 - 125) * 0.25f).ToArray(); // 7 significant bits: exact in bf16
        string path = _temp.File("concurrent.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("m", TensorDType.BF16, [256, 64]), matrix)]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        var results = new float[256][];
        Parallel.For(0, 256, new ParallelOptions { MaxDegreeOfParallelism = 4 }, row =>
        {
            var values = new float[64];
            file.ReadRows("m", row, 1, values);
            results[row] = values;
        });
        Assert.Equal(matrix, results.SelectMany(r => r));
    }

    [Fact]
    public void BlockArgumentsOutsideTheTensorAreRejected()
    {
        string path = _temp.File("b.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("m", TensorDType.F32, [4, 4]), new float[16])]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadRows("m", 3, 2, new float[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadColumns("m", -1, 2, new float[8]));
        Assert.Throws<ArgumentException>(() => file.ReadRows("m", 0, 2, new float[7]));
        Assert.Throws<ArgumentException>(() => file.ReadTensor("m", new float[17]));
        var missing = Assert.Throws<ModelFormatException>(() => file.ReadTensor("nope", new float[16]));
        Assert.Equal("nope", missing.TensorName);
    }

    [Fact]
    public void StreamingWriterAcceptsAnyChunkingAndRejectsShortOrLongInput()
    {
        string path = _temp.File("s.safetensors");
        float[] a = Sequence(10, 1f), b = Sequence(6, 2f);
        using (var writer = new SafetensorsWriter(path, [new TensorSpec("a", TensorDType.F32, [10]), new TensorSpec("b", TensorDType.F16, [2, 3])]))
        {
            float[] all = [.. a, .. b];
            writer.Write(all.AsSpan(0, 3));
            writer.Write(all.AsSpan(3, 9)); // crosses from a into b
            Assert.False(File.Exists(path)); // only the .partial exists until Complete
            writer.Write(all.AsSpan(12));
            Assert.Throws<InvalidOperationException>(() => writer.Write([1f]));
            writer.Complete();
        }

        using (SafetensorsFile file = SafetensorsFile.Open(path))
        {
            var read = new float[6];
            file.ReadTensor("b", read);
            Assert.Equal(b, read);
        }

        string shortPath = _temp.File("short.safetensors");
        using (var writer = new SafetensorsWriter(shortPath, [new TensorSpec("a", TensorDType.F32, [10])]))
        {
            writer.Write(new float[9]);
            var error = Assert.Throws<InvalidOperationException>(writer.Complete);
            Assert.Contains("'a'", error.Message);
            Assert.Contains("9 of its 10", error.Message);
        }

        Assert.False(File.Exists(shortPath));
        Assert.False(File.Exists(shortPath + ".partial"));
    }

    [Fact]
    public void WriterRejectsBadSpecs()
    {
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter(_temp.File("x"), [new TensorSpec("a", TensorDType.F32, [1]), new TensorSpec("a", TensorDType.F32, [1])]));
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter(_temp.File("x"), [new TensorSpec("__metadata__", TensorDType.F32, [1])]));
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter(_temp.File("x"), [new TensorSpec("a", TensorDType.I32, [1])]));
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter(_temp.File("x"), [new TensorSpec("a", TensorDType.F32, [-1])]));
    }

    [Fact]
    public void EmptyAndScalarTensorsAreValid()
    {
        string path = _temp.File("e.safetensors");
        SafetensorsWriter.WriteAll(path, [(new TensorSpec("empty", TensorDType.F32, [0, 4]), []), (new TensorSpec("scalar", TensorDType.F32, []), [7f])]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(0, file.GetTensor("empty").ElementCount);
        var scalar = new float[1];
        file.ReadTensor("scalar", scalar);
        Assert.Equal(7f, scalar[0]);
    }

    [Fact]
    public void OpeningAFourGigabyteFileAllocatesOnlyInProportionToItsHeader()
    {
        // A sparse 4 GiB file: a valid header for one F32 tensor, then zeros the file system does not store.
        const long rows = 1L << 16, columns = 1L << 14; // 2^30 floats = 4 GiB
        string path = _temp.File("big.safetensors");
        string header = $$$"""{"big":{"dtype":"F32","shape":[{{{rows}}},{{{columns}}}],"data_offsets":[0,{{{rows * columns * 4}}}]}}""";
        using (var stream = new FileStream(path, FileMode.Create))
        {
            stream.Write(RawSafetensors.Build(header, []));
            stream.SetLength(stream.Length + rows * columns * 4);
        }

        using (SafetensorsFile.Open(path))
        {
            // warm up JIT paths
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        using SafetensorsFile file = SafetensorsFile.Open(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"opening allocated {allocated} bytes");

        var block = new float[2 * columns];
        file.ReadRows("big", rows - 2, 2, block); // the last rows: reads only those pages
        Assert.All(block, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ShardedCheckpointReadsEveryTensorFromItsShard()
    {
        string folder = _temp.Path;
        SafetensorsWriter.WriteAll(Path.Combine(folder, "model-00001-of-00002.safetensors"), [(new TensorSpec("a.weight", TensorDType.F32, [2, 2]), [1, 2, 3, 4])]);
        SafetensorsWriter.WriteAll(Path.Combine(folder, "model-00002-of-00002.safetensors"), [(new TensorSpec("b.weight", TensorDType.BF16, [1, 2]), [5, 6])]);
        File.WriteAllText(Path.Combine(folder, ShardedCheckpoint.IndexFileName), """
            {"metadata": {"total_size": 20}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}}
            """);

        using ITensorSource source = TensorSource.Open(folder);
        var checkpoint = Assert.IsType<ShardedCheckpoint>(source);
        Assert.Equal(2, checkpoint.ShardPaths.Count);
        Assert.Equal("20", checkpoint.Metadata["total_size"]);
        var b = new float[2];
        source.ReadTensor("b.weight", b);
        Assert.Equal([5f, 6f], b);
        var column = new float[2];
        source.ReadColumns("a.weight", 1, 1, column);
        Assert.Equal([2f, 4f], column);
    }

    [Fact]
    public void ShardedIndexThatMisplacesATensorIsRejected()
    {
        string folder = _temp.Path;
        SafetensorsWriter.WriteAll(Path.Combine(folder, "s1.safetensors"), [(new TensorSpec("a", TensorDType.F32, [1]), [1])]);
        SafetensorsWriter.WriteAll(Path.Combine(folder, "s2.safetensors"), [(new TensorSpec("b", TensorDType.F32, [1]), [1])]);
        string index = Path.Combine(folder, ShardedCheckpoint.IndexFileName);

        File.WriteAllText(index, """{"weight_map": {"a": "s2.safetensors", "b": "s2.safetensors"}}""");
        var wrongShard = Assert.Throws<ModelFormatException>(() => ShardedCheckpoint.Open(folder));
        Assert.Equal("a", wrongShard.TensorName);
        Assert.Contains("does not hold it", wrongShard.Message);

        File.WriteAllText(index, """{"weight_map": {"a": "s1.safetensors", "b": "s3.safetensors"}}""");
        var missing = Assert.Throws<ModelFormatException>(() => ShardedCheckpoint.Open(folder));
        Assert.Contains("'s3.safetensors' does not exist", missing.Message);

        File.WriteAllText(index, "{\"weight_map\": {\"a\": \"s1.safetensors\"");
        Assert.Contains("invalid JSON", Assert.Throws<ModelFormatException>(() => ShardedCheckpoint.Open(folder)).Message);

        File.WriteAllText(index, """{"weight_map": {"a": "../s1.safetensors"}}""");
        Assert.Contains("not a file name", Assert.Throws<ModelFormatException>(() => ShardedCheckpoint.Open(folder)).Message);
    }
}

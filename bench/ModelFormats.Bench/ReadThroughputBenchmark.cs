using System.Diagnostics;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats.Bench;

/// <summary>
/// Read throughput of tensors widened to float32 through <see cref="SafetensorsFile"/>, against a plain
/// <see cref="RandomAccess.Read(Microsoft.Win32.SafeHandles.SafeFileHandle, Span{byte}, long)"/> of the same bytes of the
/// same file in the same run, both once the file is in the page cache. Single-threaded, same chunk size.
/// </summary>
public static class ReadThroughputBenchmark
{
    private const int Columns = 4096;

    public static int Run(BenchmarkOptions options)
    {
        Directory.CreateDirectory(options.Folder);
        Console.WriteLine($"# ModelFormats read throughput: {options.SizeMiB} MiB of tensor bytes per dtype, {options.ChunkKiB} KiB chunks, best/median of {options.Iterations}");
        Console.WriteLine($"# {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, Vector<byte>.Count = {System.Numerics.Vector<byte>.Count}");
        Console.WriteLine();
        Console.WriteLine("| dtype | plain read GB/s (best / median) | read → float32 GB/s of file bytes (best / median) | ratio of bests | median paired ratio (wall) | median paired ratio (thread CPU) | float32 output GB/s (best) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        try
        {
            foreach (TensorDType dtype in new[] { TensorDType.BF16, TensorDType.F16, TensorDType.F32 })
            {
                RunOne(options, dtype);
            }
        }
        finally
        {
            Directory.Delete(options.Folder, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine("| kernel, cache-resident (64 Ki elements) | GB/s of input bytes (best) |");
        Console.WriteLine("|---|---|");
        KernelOnly("WidenBFloat16", 2, (s, d) => TensorConvert.WidenBFloat16(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(s), d));
        KernelOnly("WidenHalf", 2, (s, d) => TensorConvert.WidenHalf(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(s), d));
        KernelOnly("CopySingle", 4, (s, d) => TensorConvert.CopySingle(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(s), d));
        return 0;
    }

    private static void RunOne(BenchmarkOptions options, TensorDType dtype)
    {
        int size = dtype.SizeInBytes();
        long rows = (long)options.SizeMiB * 1024 * 1024 / size / Columns;
        string path = Path.Combine(options.Folder, $"bench-{dtype}.safetensors");
        WriteFile(path, dtype, rows);

        int chunkRows = (int)Math.Max(1, (long)options.ChunkKiB * 1024 / size / Columns);
        var destination = new float[chunkRows * Columns];
        var plainBuffer = new byte[chunkRows * Columns * size];
        using SafetensorsFile file = SafetensorsFile.Open(path);
        TensorInfo tensor = file.GetTensor("w");
        long start = file.GetFileOffset(tensor);
        long bytes = tensor.ByteLength;

        // Warm the page cache and JIT both paths once.
        PlainRead(path, start, bytes, plainBuffer);
        ConvertRead(file, rows, chunkRows, destination);

        var plain = new List<double>();
        var converted = new List<double>();
        var paired = new List<double>();
        var pairedCpu = new List<double>();
        for (int i = 0; i < options.Iterations; i++)
        {
            // Alternate which goes first so neither always runs right after the other's cache effects.
            (double Wall, double Cpu) plainTime, convertTime;
            if (i % 2 == 0)
            {
                plainTime = Time(() => PlainRead(path, start, bytes, plainBuffer));
                convertTime = Time(() => ConvertRead(file, rows, chunkRows, destination));
            }
            else
            {
                convertTime = Time(() => ConvertRead(file, rows, chunkRows, destination));
                plainTime = Time(() => PlainRead(path, start, bytes, plainBuffer));
            }

            plain.Add(bytes / plainTime.Wall / 1e9);
            converted.Add(bytes / convertTime.Wall / 1e9);
            paired.Add(plainTime.Wall / convertTime.Wall);
            pairedCpu.Add(plainTime.Cpu / convertTime.Cpu);
        }

        plain.Sort();
        converted.Sort();
        paired.Sort();
        pairedCpu.Sort();
        double bestPlain = plain[^1], bestConverted = converted[^1];
        Console.WriteLine(
            $"| {dtype.ToSafetensorsName()} | {bestPlain:F2} / {plain[plain.Count / 2]:F2} | {bestConverted:F2} / {converted[converted.Count / 2]:F2} | " +
            $"{bestConverted / bestPlain:P0} | {paired[paired.Count / 2]:P0} | {(ThreadCpuClock.IsAvailable ? pairedCpu[pairedCpu.Count / 2].ToString("P0") : "n/a")} | {bestConverted * 4 / size:F2} |");
        File.Delete(path);
    }

    private static void WriteFile(string path, TensorDType dtype, long rows)
    {
        using var writer = new SafetensorsWriter(path, [new TensorSpec("w", dtype, [rows, Columns])]);
        var row = new float[Columns];
        var random = new Random(7);
        for (long r = 0; r < rows; r++)
        {
            for (int c = 0; c < Columns; c++)
            {
                row[c] = (float)(random.NextDouble() - 0.5);
            }

            writer.Write(row);
        }

        writer.Complete();
    }

    private static void PlainRead(string path, long start, long bytes, byte[] buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        for (long offset = 0; offset < bytes;)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, bytes - offset)), start + offset);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            offset += read;
        }
    }

    private static void ConvertRead(SafetensorsFile file, long rows, int chunkRows, float[] destination)
    {
        for (long row = 0; row < rows; row += chunkRows)
        {
            int count = (int)Math.Min(chunkRows, rows - row);
            file.ReadRows("w", row, count, destination.AsSpan(0, count * Columns));
        }
    }

    private delegate int Kernel(ReadOnlySpan<byte> source, Span<float> destination);

    private static void KernelOnly(string name, int size, Kernel kernel)
    {
        const int elements = 1 << 16;
        var source = new byte[elements * size];
        var destination = new float[elements];
        var random = new Random(3);
        for (int i = 0; i < source.Length; i += size)
        {
            source[i + size - 1] = (byte)random.Next(0x3C, 0x40); // finite values of moderate magnitude
        }

        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            const int repeats = 2000;
            double seconds = Time(() =>
            {
                for (int r = 0; r < repeats; r++)
                {
                    kernel(source, destination);
                }
            }).Wall;
            best = Math.Max(best, (double)repeats * source.Length / seconds / 1e9);
        }

        Console.WriteLine($"| {name} | {best:F1} |");
    }

    private static (double Wall, double Cpu) Time(Action action)
    {
        double cpu = ThreadCpuClock.IsAvailable ? ThreadCpuClock.Seconds() : 0;
        var watch = Stopwatch.StartNew();
        action();
        double wall = watch.Elapsed.TotalSeconds;
        return (wall, ThreadCpuClock.IsAvailable ? ThreadCpuClock.Seconds() - cpu : wall);
    }
}

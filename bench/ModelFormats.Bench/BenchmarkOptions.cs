namespace OrleansUws.ModelFormats.Bench;

/// <summary>Command-line options of the read-throughput benchmark.</summary>
/// <param name="SizeMiB">Size of the tensor bytes on disk per dtype.</param>
/// <param name="ChunkKiB">Source bytes converted per read call (and per plain read call).</param>
/// <param name="Iterations">Timed passes per method; the best and the median are printed.</param>
/// <param name="Folder">Where the test files go (deleted afterwards).</param>
public sealed record BenchmarkOptions(int SizeMiB, int ChunkKiB, int Iterations, string Folder)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions(256, 1024, 9, Path.Combine(Path.GetTempPath(), "uws-formats-bench"));
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options = args[i] switch
            {
                "--size-mib" => options with { SizeMiB = int.Parse(args[i + 1]) },
                "--chunk-kib" => options with { ChunkKiB = int.Parse(args[i + 1]) },
                "--iterations" => options with { Iterations = int.Parse(args[i + 1]) },
                "--folder" => options with { Folder = args[i + 1] },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'; use --size-mib, --chunk-kib, --iterations, --folder."),
            };
        }

        return options;
    }
}

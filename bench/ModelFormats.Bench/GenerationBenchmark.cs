using System.Diagnostics;
using OrleansUws.ModelFormats.Fleets;

namespace OrleansUws.ModelFormats.Bench;

/// <summary>
/// Fleet generation speed and memory: writes a preset fleet to a temporary folder and prints models/s, MB/s on disk
/// and the process's peak working set, which must not grow with the model count (generation streams).
/// </summary>
public static class GenerationBenchmark
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: generate <preset> <models> [layers]");
            return 2;
        }

        FleetSpec spec = FleetPresets.Create(args[0], int.Parse(args[1]), args.Length > 2 ? int.Parse(args[2]) : null);
        string folder = Path.Combine(Path.GetTempPath(), "uws-formats-generate-" + Guid.NewGuid().ToString("N"));
        try
        {
            var watch = Stopwatch.StartNew();
            new FleetGenerator(spec).Generate(folder);
            double seconds = watch.Elapsed.TotalSeconds;
            long bytes = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            using var process = Process.GetCurrentProcess();
            Console.WriteLine("| preset | models | layers | on disk | seconds | models/s | MB/s | peak working set |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            Console.WriteLine(
                $"| {spec.Preset} | {spec.ModelCount} | {spec.Layers.Count} | {bytes / 1e6:F0} MB | {seconds:F1} | {spec.ModelCount / seconds:F2} | " +
                $"{bytes / 1e6 / seconds:F0} | {process.PeakWorkingSet64 / 1e6:F0} MB |");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

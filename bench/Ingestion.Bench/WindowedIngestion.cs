using System.Diagnostics;
using System.Globalization;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Ingestion.Bench;

/// <summary>
/// Ingests a fleet window by window into an embedded silo and prints, per window, models/s and the process's memory
/// (working set and its parts, managed heap after a full collection), then the last window's rate relative to the first
/// and the memory drift after the first two (warm-up) windows.
/// </summary>
public static class WindowedIngestion
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static async Task<int> RunAsync(WindowedIngestionOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var generated = options.Fleet is null ? Path.Combine(Path.GetTempPath(), "uws-ingestion-bench-" + Guid.NewGuid().ToString("N")) : null;
        try
        {
            var folder = options.Fleet ?? await GenerateAsync(options, generated!).ConfigureAwait(false);
            var models = ModelDiscovery.Discover([folder]);
            await using var session = await UwsSession.StartAsync(new ClusterConnectionOptions()).ConfigureAwait(false);
            var fleet = session.Fleet;
            var defaults = await fleet.GetDescriptionAsync().ConfigureAwait(false);
            await fleet.ConfigureAsync(new FleetConfiguration(
                Modes: [SketchMode.Rows],
                Basis: defaults.Basis with { EveryModels = 0, Interval = TimeSpan.Zero })).ConfigureAwait(false);
            await ArchitectureAgreement.DeclareAsync(fleet, models).ConfigureAwait(false);

            var ingestor = new ModelIngestor(fleet, options.Parallelism);
            var c = CultureInfo.InvariantCulture;
            output.WriteLine(string.Create(c, $"{models.Count} models from {folder}; window {options.Window}; versions every {options.VersionEvery}; {options.Parallelism} in flight; {Environment.ProcessorCount} cores"));
            output.WriteLine("| window | models | models/s | working set MB | anonymous MB | file-backed MB | shared MB | managed MB | GC committed MB | GC fragmented MB |");
            output.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            var rates = new List<double>();
            var memory = new List<double>();
            var heap = new List<double>();
            var done = 0;
            foreach (var window in models.Chunk(options.Window))
            {
                var stopwatch = Stopwatch.StartNew();
                foreach (var batch in window.Chunk(options.VersionEvery > 0 ? options.VersionEvery : window.Length))
                {
                    var summary = await ingestor.IngestAsync(batch).ConfigureAwait(false);
                    if (summary.Rejected.Count > 0)
                    {
                        throw new InvalidOperationException($"{summary.Rejected[0].ModelId}: {summary.Rejected[0].Reason}");
                    }

                    done += batch.Length;
                    if (options.VersionEvery > 0 && done % options.VersionEvery == 0)
                    {
                        await FleetVersions.ComputeNowAsync(session.Client, session.Connection.FleetId).ConfigureAwait(false);
                    }
                }

                stopwatch.Stop();
                var rate = window.Length / stopwatch.Elapsed.TotalSeconds;
                var managed = GC.GetTotalMemory(forceFullCollection: true) / 1e6;
                var workingSet = Process.GetCurrentProcess().WorkingSet64 / 1e6;
                var gc = GC.GetGCMemoryInfo(GCKind.FullBlocking);
                var (anonymous, fileBacked, shared) = ResidentParts();
                rates.Add(rate);
                memory.Add(workingSet);
                heap.Add(managed);
                output.WriteLine(string.Create(c, $"| {rates.Count} | {done} | {rate:F1} | {workingSet:F0} | {anonymous:F0} | {fileBacked:F0} | {shared:F0} | {managed:F0} | {gc.TotalCommittedBytes / 1e6:F0} | {gc.FragmentedBytes / 1e6:F0} |"));
            }

            output.WriteLine(string.Create(c, $"last window / first window: {rates[^1] / rates[0]:P0} (target ≥ 80 %)"));
            if (memory.Count > 2)
            {
                output.WriteLine(string.Create(c, $"working set, last window vs window 2 (after warm-up): {memory[^1] / memory[1] - 1:+0.0 %;-0.0 %} (target within ±10 %)"));
                output.WriteLine(string.Create(c, $"managed heap, last window vs window 2: {heap[^1] - heap[1]:+0.0;-0.0} MB, {(heap[^1] - heap[1]) * 1e6 / (done - (2 * options.Window)):F0} bytes per model added"));
            }

            return 0;
        }
        finally
        {
            if (generated is not null && Directory.Exists(generated))
            {
                Directory.Delete(generated, recursive: true);
            }
        }
    }

    /// <summary>
    /// The resident set split as Linux reports it (<c>RssAnon</c>: heaps, stacks, native allocations; <c>RssFile</c>:
    /// mapped files such as assemblies and model files; <c>RssShmem</c>: shared memory, mostly the runtime's double-mapped
    /// JIT code, which grows while tiered compilation recompiles hot methods), in MB; NaN where <c>/proc/self/status</c>
    /// is absent.
    /// </summary>
    private static (double Anonymous, double FileBacked, double Shared) ResidentParts()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        double Read(string[] lines, string key) =>
            lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) is { } line
                ? double.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1e3
                : double.NaN;
        var lines = File.ReadAllLines(status);
        return (Read(lines, "RssAnon:"), Read(lines, "RssFile:"), Read(lines, "RssShmem:"));
    }

    private static async Task<string> GenerateAsync(WindowedIngestionOptions options, string folder)
    {
        var spec = FleetGeneration.CreateSpec(new FleetGenerateOptions { Output = folder, Preset = "tiny", Models = options.Models, Layers = options.Layers, Seed = 1 });
        await FleetGeneration.GenerateAsync(spec, folder, AnsiConsole.Console, CancellationToken.None).ConfigureAwait(false);
        return folder;
    }
}

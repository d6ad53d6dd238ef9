using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;
using Spectre.Console;

namespace OrleansUws.Cluster.Bench;

/// <summary>Runs the library baseline and the embedded cluster on one fleet and prints the comparison.</summary>
public static class ClusterBenchmark
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static async Task<int> RunAsync(BenchOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var generated = options.Fleet is null ? Path.Combine(Path.GetTempPath(), "uws-cluster-bench-" + Guid.NewGuid().ToString("N")) : null;
        try
        {
            var fleetFolder = options.Fleet ?? await GenerateAsync(options, generated!).ConfigureAwait(false);
            var models = ModelDiscovery.Discover([fleetFolder]);
            if (models.Count <= options.WarmupModels)
            {
                throw new ArgumentException($"the fleet has {models.Count} models; more than --warmup {options.WarmupModels} are needed");
            }

            var warmup = models.Take(options.WarmupModels).ToArray();
            await using var session = await UwsSession.StartAsync(new ClusterConnectionOptions()).ConfigureAwait(false);
            var measured = session.Client.GetGrain<IFleetGrain>(UwsKeys.Fleet("bench"));
            var warmupFleet = session.Client.GetGrain<IFleetGrain>(UwsKeys.Fleet("bench-warmup"));
            var description = await EmbeddedClusterRun.ConfigureAsync(measured).ConfigureAwait(false);
            await EmbeddedClusterRun.ConfigureAsync(warmupFleet).ConfigureAwait(false);
            var services = new ServiceCollection().AddUwsNumerics().BuildServiceProvider();
            await using (services.ConfigureAwait(false))
            {
                var library = new LibraryBaseline(services.GetRequiredService<CovarianceSketchFactory>(), services.GetRequiredService<SubspaceBasisSolver>());

                // Warm-up: JIT, BLAS threads, first grain activations (a separate fleet, so the measured one starts empty).
                library.Run(warmup, description.Sketch, description.Basis);
                await EmbeddedClusterRun.RunAsync(session.Client, "bench-warmup", warmup, options.Parallelism).ConfigureAwait(false);

                var libraryTimings = library.Run(models, description.Sketch, description.Basis);
                var clusterTimings = await EmbeddedClusterRun.RunAsync(session.Client, "bench", models, options.Parallelism).ConfigureAwait(false);
                var layers = (await measured.GetDescriptionAsync().ConfigureAwait(false)).Layers.Count;
                Print(output, options, fleetFolder, models.Count, layers, libraryTimings, clusterTimings);
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

    private static async Task<string> GenerateAsync(BenchOptions options, string folder)
    {
        var spec = FleetGeneration.CreateSpec(new FleetGenerateOptions { Output = folder, Preset = options.Preset, Models = options.Models, Layers = options.Layers, Seed = 1 });
        await FleetGeneration.GenerateAsync(spec, folder, AnsiConsole.Console, CancellationToken.None).ConfigureAwait(false);
        return folder;
    }

    private static void Print(TextWriter output, BenchOptions options, string fleet, int models, int layers, PhaseTimings library, PhaseTimings cluster)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"fleet: {models} models × {layers} layers ({(options.Fleet is null ? options.Preset + ", generated" : fleet)}); {Environment.ProcessorCount} cores; submissions in flight: {options.Parallelism}"));
        output.WriteLine("| run | ingest s | models/s | last model → new bases s | end-to-end models/s |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, t) in new[] { ("numerics library alone", library), ("embedded cluster", cluster) })
        {
            output.WriteLine(string.Create(c, $"| {name} | {t.Ingest.TotalSeconds:F2} | {t.ModelsPerSecond:F2} | {t.Basis.TotalSeconds:F3} | {t.EndToEndModelsPerSecond:F2} |"));
        }

        output.WriteLine(string.Create(c, $"cluster / library ingest throughput: {cluster.ModelsPerSecond / library.ModelsPerSecond:P1} (target ≥ 80 %)"));
        output.WriteLine(string.Create(c, $"cluster / library end-to-end throughput: {cluster.EndToEndModelsPerSecond / library.EndToEndModelsPerSecond:P1}"));
        output.WriteLine(string.Create(c, $"time from the last model to every layer's new basis version (cluster, {layers} layers, {Environment.ProcessorCount} at a time): {cluster.Basis.TotalSeconds:F3} s"));
    }
}

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
            var description = await EmbeddedClusterRun.ConfigureAsync(session.Client, "bench-warmup").ConfigureAwait(false);
            var services = new ServiceCollection().AddUwsNumerics().BuildServiceProvider();
            await using (services.ConfigureAwait(false))
            {
                var library = new LibraryBaseline(services.GetRequiredService<CovarianceSketchFactory>(), services.GetRequiredService<SubspaceBasisSolver>());

                // Warm-up: JIT, BLAS threads, first grain activations (separate fleets, so the measured ones start empty), the
                // versioned pass's path included (a version every other warm-up model), so that neither measured pass pays
                // for compiling its code.
                library.Run(warmup, description.Sketch, description.Basis);
                await EmbeddedClusterRun.RunAsync(session.Client, "bench-warmup", warmup, options.Parallelism).ConfigureAwait(false);
                await EmbeddedClusterRun.ConfigureAsync(session.Client, "bench-warmup-versioned", versionEvery: 2).ConfigureAwait(false);
                await EmbeddedClusterRun.RunAsync(session.Client, "bench-warmup-versioned", warmup, options.Parallelism).ConfigureAwait(false);
                await EmbeddedClusterRun.ConfigureAsync(session.Client, "bench-warmup-cuts").ConfigureAwait(false);
                await EmbeddedClusterRun.RunWithCutsAsync(session.Client, "bench-warmup-cuts", warmup, options.Parallelism, versionEvery: 2).ConfigureAwait(false);

                // Alternate the passes so that load from other processes hits all alike, and rotate their order each
                // repetition: the fleets of earlier passes stay active in the silo, so a pass that always ran last would
                // always run beside the most live sketches. Report medians.
                var libraryTimings = new List<PhaseTimings>();
                var clusterTimings = new List<PhaseTimings>();
                var versionedTimings = new List<PhaseTimings>();
                var cutTimings = new List<PhaseTimings>();
                for (var repetition = 1; repetition <= options.Repetitions; repetition++)
                {
                    var fleet = $"bench-{repetition}";
                    var versioned = $"bench-versioned-{repetition}";
                    var cuts = $"bench-cuts-{repetition}";
                    Func<Task>[] passes =
                    [
                        () =>
                        {
                            libraryTimings.Add(library.Run(models, description.Sketch, description.Basis));
                            return Task.CompletedTask;
                        },
                        async () =>
                        {
                            await EmbeddedClusterRun.ConfigureAsync(session.Client, fleet).ConfigureAwait(false);
                            clusterTimings.Add(await EmbeddedClusterRun.RunAsync(session.Client, fleet, models, options.Parallelism).ConfigureAwait(false));
                        },
                        async () =>
                        {
                            await EmbeddedClusterRun.ConfigureAsync(session.Client, versioned, options.VersionEvery).ConfigureAwait(false);
                            versionedTimings.Add(await EmbeddedClusterRun.RunAsync(session.Client, versioned, models, options.Parallelism).ConfigureAwait(false));
                        },
                        async () =>
                        {
                            await EmbeddedClusterRun.ConfigureAsync(session.Client, cuts).ConfigureAwait(false);
                            cutTimings.Add(await EmbeddedClusterRun.RunWithCutsAsync(session.Client, cuts, models, options.Parallelism, options.VersionEvery).ConfigureAwait(false));
                        },
                    ];
                    for (var pass = 0; pass < passes.Length; pass++)
                    {
                        // What the previous pass left for the collector is collected before this one starts, not during it.
                        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                        GC.WaitForPendingFinalizers();
                        await passes[(pass + repetition - 1) % passes.Length]().ConfigureAwait(false);
                    }
                }

                var layers = (await session.Client.GetGrain<IFleetGrain>(UwsKeys.Fleet("bench-1")).GetDescriptionAsync().ConfigureAwait(false)).Layers.Count;
                var cost = new VersionCost(services.GetRequiredService<CovarianceSketchFactory>(), services.GetRequiredService<SubspaceBasisSolver>())
                    .Measure(models, description.Sketch, description.Basis);
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"one version of layer {cost.Layer} (2 slices, {models.Count} models, median of 20): {cost.Summaries:F2} ms from the slices' summaries, {cost.Rebuilt:F2} ms rebuilding the merged sketch and iterating"));
                Print(output, options, fleetFolder, models.Count, layers, libraryTimings, clusterTimings, versionedTimings, cutTimings);
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

    private static void Print(TextWriter output, BenchOptions options, string fleet, int models, int layers, IReadOnlyList<PhaseTimings> library, IReadOnlyList<PhaseTimings> cluster, IReadOnlyList<PhaseTimings> versioned,
        IReadOnlyList<PhaseTimings> cuts)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"fleet: {models} models × {layers} layers ({(options.Fleet is null ? options.Preset + ", generated" : fleet)}); {Environment.ProcessorCount} cores; submissions in flight: {options.Parallelism}; {options.Repetitions} repetitions (passes in rotating order, a full collection before each), medians"));
        output.WriteLine("| run | ingest s | models/s | CPU ms per model | cores busy | last model → new bases s | end-to-end models/s |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var medians = new[]
        {
            ("numerics library alone", PhaseTimings.Median(library)),
            ("embedded cluster", PhaseTimings.Median(cluster)),
            (string.Create(c, $"embedded cluster, a version every {options.VersionEvery} models (coordinators' policy)"), PhaseTimings.Median(versioned)),
            (string.Create(c, $"embedded cluster, version cuts every {options.VersionEvery} models (as uws run)"), PhaseTimings.Median(cuts)),
        };
        foreach (var (name, t) in medians)
        {
            output.WriteLine(string.Create(c, $"| {name} | {t.Ingest.TotalSeconds:F2} | {t.ModelsPerSecond:F2} | {t.CpuMillisecondsPerModel:F1} | {t.CoresBusy:F2} | {t.Basis.TotalSeconds:F3} | {t.EndToEndModelsPerSecond:F2} |"));
        }

        // Each repetition runs its passes back to back, so a ratio within one repetition sees one load on this shared
        // machine; the headline is the median of those paired ratios, beside the ratio of the medians above.
        var (lib, clu, ver, cut) = (medians[0].Item2, medians[1].Item2, medians[2].Item2, medians[3].Item2);
        void PrintRatio(string what, IReadOnlyList<PhaseTimings> baseline, IReadOnlyList<PhaseTimings> passes, Func<PhaseTimings, PhaseTimings, double> ratio,
            double ofMedians, string target)
        {
            var paired = baseline.Zip(passes, ratio).ToArray();
            output.WriteLine(string.Create(c,
                $"{what}: {Medians.Of(paired):P1} ({target}); per repetition: {string.Join(", ", paired.Select(r => r.ToString("P0", c)))}; ratio of the medians {ofMedians:P1}"));
        }

        PrintRatio("cluster / library ingest throughput", library, cluster, (l, k) => k.ModelsPerSecond / l.ModelsPerSecond,
            clu.ModelsPerSecond / lib.ModelsPerSecond, "target ≥ 80 %");
        output.WriteLine(string.Create(c, $"cluster / library end-to-end throughput: {clu.EndToEndModelsPerSecond / lib.EndToEndModelsPerSecond:P1}"));
        void PrintCost(string versions, PhaseTimings median, IReadOnlyList<PhaseTimings> passes)
        {
            PrintRatio($"ingest throughput lost to {versions}", cluster, passes, (k, v) => 1 - (v.ModelsPerSecond / k.ModelsPerSecond),
                1 - (median.ModelsPerSecond / clu.ModelsPerSecond), "target ≤ 10 %");
            PrintRatio("CPU per model added by those versions", cluster, passes, (k, v) => (v.CpuMillisecondsPerModel / k.CpuMillisecondsPerModel) - 1,
                (median.CpuMillisecondsPerModel / clu.CpuMillisecondsPerModel) - 1, "throughput follows it while the cores stay busy");
        }

        PrintCost(string.Create(c, $"versions every {options.VersionEvery} models"), ver, versioned);
        PrintCost(string.Create(c, $"version cuts every {options.VersionEvery} models (as uws run)"), cut, cuts);
        output.WriteLine(string.Create(c, $"time from the last model to every layer's new basis version (cluster, {layers} layers, {Environment.ProcessorCount} at a time): {clu.Basis.TotalSeconds:F3} s without intermediate versions, {ver.Basis.TotalSeconds:F3} s with them (target ≤ 0.3 s)"));
    }
}

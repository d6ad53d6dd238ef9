using System.Diagnostics;
using System.Globalization;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Ingestion.Bench;

/// <summary>
/// What a deletion costs as the fleet grows: absorbs N generated models into up to three fleets on one embedded silo, one
/// whose layers keep the exact Gram (a deletion subtracts the model), one whose layers keep Frequent Directions (a deletion
/// rebuilds the slice that held it from its remaining models) and one whose layers keep a Nyström sketch (a deletion
/// subtracts the model from Y = C·Ω), then deletes D models from each and prints the mean time per deletion, the new
/// versions it publishes included. <c>--kinds exact,fd,nystrom</c> picks them (an exact Gram of a 4096-wide layer is
/// 128 MB a slice).
/// </summary>
public static class DeletionCost
{
    /// <summary>Runs the benchmark with <c>--name value</c> options; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var options = new BenchOptions(args, "--preset", "--models", "--layers", "--deletes", "--kinds");
        string preset = options.Text("--preset", "tiny")!;
        int models = options.Integer("--models", 400), layers = options.Integer("--layers", 2), deletes = options.Integer("--deletes", 10);
        if (deletes < 1 || deletes >= models)
        {
            throw new ArgumentException("delete takes --preset P --models N --layers L --deletes D (1 ≤ D < N) --kinds exact,fd,nystrom");
        }

        var variants = new Dictionary<string, (string Name, int ExactMax, LargeLayerSketch Large)>
        {
            ["exact"] = ("exact Gram (subtracts)", int.MaxValue / 2, LargeLayerSketch.FrequentDirections),
            ["fd"] = ("Frequent Directions (rebuilds one slice)", 0, LargeLayerSketch.FrequentDirections),
            ["nystrom"] = ("Nyström (subtracts)", 0, LargeLayerSketch.Nystrom),
        };
        var kinds = options.Text("--kinds", "exact,fd,nystrom")!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (kinds.Length == 0 || kinds.FirstOrDefault(k => !variants.ContainsKey(k)) is not null)
        {
            throw new ArgumentException($"--kinds takes a comma-separated list of exact, fd, nystrom (was '{options.Text("--kinds", "")}').");
        }

        var folder = Path.Combine(Path.GetTempPath(), "uws-delete-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var spec = FleetGeneration.CreateSpec(new FleetGenerateOptions { Output = folder, Preset = preset, Models = models, Layers = layers, Seed = 1 });
            await FleetGeneration.GenerateAsync(spec, folder, AnsiConsole.Console, CancellationToken.None).ConfigureAwait(false);
            var sources = ModelDiscovery.Discover([folder]);
            await using var session = await UwsSession.StartAsync(new ClusterConnectionOptions()).ConfigureAwait(false);
            var defaults = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
            var c = CultureInfo.InvariantCulture;
            output.WriteLine(string.Create(c, $"{models} {preset} models ({layers} layer(s), modes {string.Join("+", defaults.Modes)}, {defaults.SliceCount} slices), {deletes} deletions each, {Environment.ProcessorCount} cores"));
            foreach (var kind in kinds)
            {
                var (name, exactMax, large) = variants[kind];
                var fleet = session.Client.GetGrain<IFleetGrain>("delete-bench-" + kind);
                var sketch = defaults.Sketch with { ExactGramMaxDimension = exactMax, LargeLayers = large };
                await fleet.ConfigureAsync(new FleetConfiguration(
                    Modes: defaults.Modes, Sketch: sketch, Basis: defaults.Basis with { EveryModels = 0, Interval = TimeSpan.Zero })).ConfigureAwait(false);
                await ArchitectureAgreement.DeclareAsync(fleet, sources).ConfigureAwait(false);
                await Task.WhenAll(sources.Select(s => fleet.SubmitAsync(new ModelReference(s.ModelId, s.Location)))).ConfigureAwait(false);

                var stopwatch = Stopwatch.StartNew();
                foreach (var source in sources.Take(deletes))
                {
                    var result = await fleet.DeleteAsync(source.ModelId).ConfigureAwait(false);
                    if (!result.Deleted)
                    {
                        throw new InvalidOperationException($"{source.ModelId} not deleted: {result.Reason}");
                    }
                }

                stopwatch.Stop();
                output.WriteLine(string.Create(c, $"{name}: {stopwatch.Elapsed.TotalMilliseconds / deletes:F1} ms per deletion (new versions of every layer included)"));
            }

            return 0;
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}

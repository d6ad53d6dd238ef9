using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Output;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using Spectre.Console;

namespace OrleansUws.Coordinator.Fleets;

/// <summary>Turns <see cref="FleetGenerateOptions"/> into a <see cref="FleetSpec"/> and runs the formats library's generator with a progress bar.</summary>
public static class FleetGeneration
{
    /// <summary>The generator's spec for validated <paramref name="options"/>: the preset, then every option given on top.</summary>
    /// <exception cref="UsageException">The combination is invalid for the generator (every failure, naming the spec field).</exception>
    public static FleetSpec CreateSpec(FleetGenerateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var spec = FleetPresets.Create(options.Preset, options.Models, options.Layers) with
        {
            Seed = options.Seed,
            Structure = options.Random ? FleetStructure.Random : FleetStructure.Planted,
        };
        if (options.Rank is { } rank)
        {
            spec = spec with { Rank = rank };
        }

        if (options.SubspaceDimension is { } k)
        {
            spec = spec with { SubspaceDimension = k };
        }

        if (options.Noise is { } noise)
        {
            spec = spec with { NoiseLevel = noise };
        }

        if (options.DType is { } dtype)
        {
            if (!TensorDTypeInfo.TryParseSafetensorsName(dtype.ToUpperInvariant(), out var parsed))
            {
                throw new UsageException($"--dtype '{dtype}' is not a safetensors element type");
            }

            spec = spec with { DType = parsed };
        }

        var result = new FleetSpecValidator().Validate(Options.DefaultName, spec);
        if (result.Failed)
        {
            throw new UsageException(result.Failures?.Select(f => $"fleet: {f}").ToArray() ?? [$"fleet: {result.FailureMessage}"]);
        }

        return spec;
    }

    /// <summary>Writes the fleet described by <paramref name="spec"/> to <paramref name="folder"/>, showing a progress bar on <paramref name="console"/>.</summary>
    public static async Task<FleetManifest> GenerateAsync(FleetSpec spec, string folder, IAnsiConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(console);
        var generator = new FleetGenerator(spec);
        return await ProgressDisplay.Create(console).StartAsync(async context =>
        {
            var task = context.AddTask($"generating {spec.ModelCount} models ({spec.Preset})", maxValue: spec.ModelCount);
            // A long-running task gets a thread of its own: the generator's threads are its own too, so an embedded
            // silo in this process keeps the thread pool.
            var manifest = await Task.Factory.StartNew(
                () => generator.Generate(folder, new ProgressTaskReporter(task), cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            task.Value = spec.ModelCount;
            return manifest;
        }).ConfigureAwait(false);
    }
}

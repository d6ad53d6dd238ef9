using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.ModelFormats.Fleets;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws fleet generate</c>: writes a synthetic fleet (PEFT adapters or dense checkpoints) with its planted ground truth.</summary>
public sealed class FleetGenerateCommand : Command
{
    private static readonly FleetGenerateOptions Defaults = new();

    private readonly Option<string> _out = new("--out", "-o") { Description = "Folder the fleet is written to.", Required = true };
    private readonly Option<string> _preset = new("--preset") { Description = $"Preset: {string.Join(", ", FleetPresets.Names)}.", DefaultValueFactory = _ => Defaults.Preset };
    private readonly Option<int> _models = new("--models", "-n") { Description = "Number of models.", DefaultValueFactory = _ => Defaults.Models };
    private readonly Option<int?> _layers = new("--layers") { Description = "Decoder layers / blocks to include (default: all of the preset)." };
    private readonly Option<int?> _rank = new("--rank") { Description = "LoRA rank r (default: the preset's)." };
    private readonly Option<string?> _dtype = new("--dtype") { Description = "Element type written: bf16, f16 or f32 (default: the preset's)." };
    private readonly Option<int?> _subspace = new("--subspace-dim") { Description = "Dimension k of the planted subspace (default: the preset's)." };
    private readonly Option<double?> _noise = new("--noise") { Description = "Noise level on top of the planted structure (default: the preset's)." };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed; model i depends only on (seed, i, layer).", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<bool> _random = new("--random") { Description = "Unstructured random models (no planted subspace): a null-hypothesis fleet." };
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public FleetGenerateCommand(CliContext context)
        : base("generate", "Write a synthetic fleet with planted low-rank structure, in PEFT/safetensors layout, plus ground-truth.safetensors.")
    {
        _context = context;
        foreach (var option in new Option[] { _out, _preset, _models, _layers, _rank, _dtype, _subspace, _noise, _seed, _random })
        {
            Options.Add(option);
        }

        SetAction(ExecuteAsync);
    }

    /// <summary>Binds and validates the options of <paramref name="parseResult"/>.</summary>
    /// <exception cref="UsageException">Every bad option, named.</exception>
    public FleetGenerateOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new FleetGenerateOptionsValidator().ValidateOrThrow(new FleetGenerateOptions
        {
            Output = parseResult.GetValue(_out) ?? string.Empty,
            Preset = parseResult.GetValue(_preset) ?? Defaults.Preset,
            Models = parseResult.GetValue(_models),
            Layers = parseResult.GetValue(_layers),
            Rank = parseResult.GetValue(_rank),
            DType = parseResult.GetValue(_dtype),
            SubspaceDimension = parseResult.GetValue(_subspace),
            Noise = parseResult.GetValue(_noise),
            Seed = parseResult.GetValue(_seed),
            Random = parseResult.GetValue(_random),
        });
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = Bind(parseResult);
        var spec = FleetGeneration.CreateSpec(options);
        await FleetGeneration.GenerateAsync(spec, options.Output, _context.Console, cancellationToken).ConfigureAwait(false);
        _context.Console.MarkupLineInterpolated(
            $"wrote {spec.ModelCount} {(spec.Kind == FleetKind.LoraAdapters ? "LoRA adapters" : "dense checkpoints")} × {spec.Layers.Count} layers ({spec.Preset}, {spec.Structure}, {spec.DType}, seed {spec.Seed}) to {Path.GetFullPath(options.Output)}");
        return ExitCodes.Success;
    }
}

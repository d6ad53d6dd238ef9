using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;
using OrleansUws.ModelFormats.Fleets;

namespace OrleansUws.Coordinator.Fleets;

/// <summary>Validates <see cref="FleetGenerateOptions"/>, naming each bad command-line option; reports every failure at once.</summary>
public sealed class FleetGenerateOptionsValidator : IValidateOptions<FleetGenerateOptions>
{
    /// <summary>Element types the generator writes, as <c>--dtype</c> accepts them.</summary>
    public static readonly IReadOnlyList<string> DTypes = ["bf16", "f16", "f32"];

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FleetGenerateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        failures.NotBlank("--out", options.Output);
        failures.OneOf("--preset", options.Preset, FleetPresets.Names);
        failures.AtLeast("--models", options.Models, 1);
        if (options.Layers is { } layers)
        {
            PresetLayers(failures, layers, options.Preset);
        }

        if (options.Rank is { } rank)
        {
            failures.AtLeast("--rank", rank, 1);
        }

        if (options.SubspaceDimension is { } k)
        {
            failures.AtLeast("--subspace-dim", k, 1);
        }

        if (options.Noise is { } noise)
        {
            failures.NonNegative("--noise", noise);
        }

        if (options.DType is { } dtype)
        {
            failures.OneOf("--dtype", dtype, DTypes);
        }

        return failures.ToResult();
    }

    /// <summary>Checks <c>--layers</c>: at least 1, and at most the layers of <paramref name="preset"/> when it is a known one.</summary>
    internal static void PresetLayers(ValidationFailures failures, int layers, string preset)
    {
        failures.AtLeast("--layers", layers, 1);
        if (FleetPresets.Names.Contains(preset))
        {
            failures.AtMost("--layers", layers, FleetPresets.BlockCount(preset), $"for preset '{preset}'");
        }
    }
}

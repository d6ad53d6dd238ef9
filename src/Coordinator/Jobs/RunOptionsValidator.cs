using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.ModelFormats.Fleets;

namespace OrleansUws.Coordinator.Jobs;

/// <summary>Validates <see cref="RunOptions"/>, naming each bad command-line option; reports every failure at once.</summary>
public sealed class RunOptionsValidator : IValidateOptions<RunOptions>
{
    /// <summary>Modes <c>--mode</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Modes = ["rows", "columns", "flattened"];

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        failures.DirectoryExists("--fleet", options.Fleet);
        failures.AtLeast("--models", options.Models, 1);
        if (options.Layers is { } layers)
        {
            if (options.Fleet is null)
            {
                FleetGenerateOptionsValidator.PresetLayers(failures, layers, options.Preset);
            }
            else
            {
                failures.AtLeast("--layers", layers, 1);
            }
        }

        failures.OneOf("--preset", options.Preset, FleetPresets.Names);
        if (options.Noise is { } noise)
        {
            failures.NonNegative("--noise", noise);
        }

        failures.NotBlank("--out", options.Output);
        failures.AtLeast("--max-k", options.MaxK, 1);
        if (options.K is { } k)
        {
            failures.AtLeast("--k", k, 1);
        }

        failures.InOpenClosedRange("--tau", options.Tau, 0, 1);
        failures.AtLeast("--version-every", options.VersionEvery, 0);
        failures.OneOf("--mode", options.Mode, Modes);
        failures.AtLeast("--parallelism", options.Parallelism, 1);
        return failures.ToResult();
    }
}

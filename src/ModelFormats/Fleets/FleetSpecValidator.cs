using Microsoft.Extensions.Options;

namespace OrleansUws.ModelFormats.Fleets;

/// <summary>Validates a <see cref="FleetSpec"/>, reporting every failure at once.</summary>
public sealed class FleetSpecValidator : IValidateOptions<FleetSpec>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, FleetSpec options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Layers.Count == 0)
        {
            failures.Add("Layers: at least one layer is required.");
        }

        foreach (var duplicate in options.Layers.GroupBy(l => l.LayerId, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            failures.Add($"Layers: layer id '{duplicate.Key}' appears {duplicate.Count()} times.");
        }

        foreach (FleetLayerSpec layer in options.Layers)
        {
            if (string.IsNullOrWhiteSpace(layer.ModulePath) || layer.OutFeatures <= 0 || layer.InFeatures <= 0)
            {
                failures.Add($"Layers: '{layer.ModulePath}' {layer.OutFeatures}×{layer.InFeatures} needs a name and positive dimensions.");
                continue;
            }

            int smaller = Math.Min(layer.OutFeatures, layer.InFeatures);
            if (options.Kind == FleetKind.LoraAdapters && options.Rank > smaller)
            {
                failures.Add($"Rank: {options.Rank} exceeds min(m, n) = {smaller} of layer '{layer.LayerId}'.");
            }

            if (options.Structure == FleetStructure.Planted && options.SubspaceDimension > smaller)
            {
                failures.Add($"SubspaceDimension: {options.SubspaceDimension} exceeds min(m, n) = {smaller} of layer '{layer.LayerId}'.");
            }
        }

        if (options.ModelCount < 1)
        {
            failures.Add($"ModelCount: {options.ModelCount}; at least 1 model is required.");
        }

        if (options.Kind == FleetKind.LoraAdapters && options.Rank < 1)
        {
            failures.Add($"Rank: {options.Rank}; it must be at least 1.");
        }

        if (!double.IsFinite(options.LoraAlpha) || options.LoraAlpha <= 0)
        {
            failures.Add($"LoraAlpha: {options.LoraAlpha}; it must be positive.");
        }

        if (options.SubspaceDimension < 1)
        {
            failures.Add($"SubspaceDimension: {options.SubspaceDimension}; it must be at least 1.");
        }

        if (options.Spectrum is { } spectrum)
        {
            if (spectrum.Count != options.SubspaceDimension)
            {
                failures.Add($"Spectrum: {spectrum.Count} values for SubspaceDimension {options.SubspaceDimension}.");
            }

            if (spectrum.Any(s => !double.IsFinite(s) || s <= 0))
            {
                failures.Add("Spectrum: every value must be positive and finite.");
            }
        }
        else if (!(options.SpectrumDecay > 0 && options.SpectrumDecay <= 1))
        {
            failures.Add($"SpectrumDecay: {options.SpectrumDecay}; it must be in (0, 1].");
        }

        if (!double.IsFinite(options.MeanStrength) || options.MeanStrength < 0)
        {
            failures.Add($"MeanStrength: {options.MeanStrength}; it must be non-negative and finite.");
        }

        if (!double.IsFinite(options.NoiseLevel) || options.NoiseLevel < 0)
        {
            failures.Add($"NoiseLevel: {options.NoiseLevel}; it must be non-negative and finite.");
        }

        if (!options.DType.IsReadableAsSingle())
        {
            failures.Add($"DType: {options.DType.ToSafetensorsName()}; use F32, F16, BF16 or F64.");
        }

        if (options.MaxDegreeOfParallelism < 1)
        {
            failures.Add($"MaxDegreeOfParallelism: {options.MaxDegreeOfParallelism}; it must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

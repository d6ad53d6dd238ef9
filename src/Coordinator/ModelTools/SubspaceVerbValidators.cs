using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Merging;

namespace OrleansUws.Coordinator.ModelTools;

/// <summary>Validates <see cref="CompressVerbOptions"/>, naming each bad option; every failure at once.</summary>
public sealed class CompressVerbOptionsValidator : IValidateOptions<CompressVerbOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CompressVerbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        if (options.Models.Count == 0)
        {
            failures.Add("MODEL: give at least one model or fleet folder");
        }

        failures.NotBlank("--bases", options.Bases);
        failures.DirectoryExists("--bases", string.IsNullOrWhiteSpace(options.Bases) || BasesSource.IsCluster(options.Bases) ? null : options.Bases);
        failures.OneOf("--form", options.Form, CoefficientForms.Names);
        if (options.K is { } k)
        {
            failures.AtLeast("--k", k, 1);
        }

        failures.NotBlank("--out", options.Output);
        return failures.ToResult();
    }
}

/// <summary>Validates <see cref="ReconstructVerbOptions"/>.</summary>
public sealed class ReconstructVerbOptionsValidator : IValidateOptions<ReconstructVerbOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ReconstructVerbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        if (options.Coefficients.Count == 0)
        {
            failures.Add("COEFFS: give at least one coefficient file or folder");
        }

        foreach (var path in options.Coefficients.Where(p => !File.Exists(p) && !Directory.Exists(p)))
        {
            failures.Add($"COEFFS: '{path}' does not exist");
        }

        failures.NotBlank("--bases", options.Bases);
        failures.DirectoryExists("--bases", string.IsNullOrWhiteSpace(options.Bases) || BasesSource.IsCluster(options.Bases) ? null : options.Bases);
        failures.NotBlank("--out", options.Output);
        return failures.ToResult();
    }
}

/// <summary>Validates <see cref="MergeVerbOptions"/>.</summary>
public sealed class MergeVerbOptionsValidator : IValidateOptions<MergeVerbOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, MergeVerbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        if (options.Models.Count == 0)
        {
            failures.Add("MODEL: give at least two models or a fleet folder");
        }

        failures.OneOf("--method", options.Method, MergeMethods.Names);
        if (!double.IsFinite(options.Lambda))
        {
            failures.Add($"--lambda must be finite (got {options.Lambda})");
        }

        failures.InOpenClosedRange("--density", options.Density, 0, 1);
        if (!(options.DropRate >= 0 && options.DropRate < 1))
        {
            failures.Add(FormattableString.Invariant($"--drop-rate must be in [0, 1) (got {options.DropRate})"));
        }

        failures.OneOf("--form", options.Form, CoefficientForms.Names);
        if (options.K is { } k)
        {
            failures.AtLeast("--k", k, 1);
        }

        if (options.MaxRank is { } rank)
        {
            failures.AtLeast("--max-rank", rank, 1);
        }

        if (string.Equals(options.Method, "subspace", StringComparison.OrdinalIgnoreCase))
        {
            failures.NotBlank("--bases", options.Bases);
        }

        failures.DirectoryExists("--bases", string.IsNullOrWhiteSpace(options.Bases) || BasesSource.IsCluster(options.Bases) ? null : options.Bases);
        failures.NotBlank("--out", options.Output);
        return failures.ToResult();
    }
}

using Microsoft.Extensions.Options;

namespace OrleansUws.Numerics.Hosting;

/// <summary>Checks <see cref="OpenBlasOptions"/>, reporting every failure at once.</summary>
public sealed class OpenBlasOptionsValidator : IValidateOptions<OpenBlasOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OpenBlasOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ThreadsPerCall < 0
            ? ValidateOptionsResult.Fail($"OpenBlasOptions.ThreadsPerCall is {options.ThreadsPerCall}; use 0 (the library's default) or a positive thread count.")
            : ValidateOptionsResult.Success;
    }
}

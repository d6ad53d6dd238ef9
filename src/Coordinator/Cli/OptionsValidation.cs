using Microsoft.Extensions.Options;

namespace OrleansUws.Coordinator.Cli;

/// <summary>Runs an <see cref="IValidateOptions{TOptions}"/> on options bound from the command line.</summary>
public static class OptionsValidation
{
    /// <summary>
    /// Validates <paramref name="options"/> and returns them, or throws a <see cref="UsageException"/> that lists
    /// every failure the validator reported.
    /// </summary>
    public static T ValidateOrThrow<T>(this IValidateOptions<T> validator, T options)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new UsageException(result.Failures?.ToArray() ?? [result.FailureMessage]);
        }

        return options;
    }
}

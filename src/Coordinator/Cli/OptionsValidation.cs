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

    /// <summary>
    /// Runs both binders (each binds and validates one group of options) and returns both results, or throws
    /// one <see cref="UsageException"/> with the failures of both, so the user sees every problem at once.
    /// </summary>
    public static (T1 First, T2 Second) BindBoth<T1, T2>(Func<T1> first, Func<T2> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var failures = new List<string>();
        var a = Attempt(first, failures);
        var b = Attempt(second, failures);
        return failures.Count > 0 ? throw new UsageException(failures) : (a!, b!);
    }

    private static T? Attempt<T>(Func<T> bind, List<string> failures)
    {
        try
        {
            return bind();
        }
        catch (UsageException e)
        {
            failures.AddRange(e.Failures);
            return default;
        }
    }
}

namespace OrleansUws.Coordinator.Cli;

/// <summary>
/// A user error in the command line: a bad option value, a missing path, conflicting options.
/// The CLI prints <see cref="Exception.Message"/> as one line (no stack trace) and exits with <see cref="ExitCodes.Usage"/>.
/// </summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the exception for one or more failures; each failure names the option it is about.</summary>
    /// <param name="failures">Human-readable failures, e.g. <c>--models must be at least 1 (got 0)</c>.</param>
    public UsageException(IReadOnlyList<string> failures)
        : base(string.Join("; ", failures))
    {
        ArgumentNullException.ThrowIfNull(failures);
        if (failures.Count == 0)
        {
            throw new ArgumentException("At least one failure is required.", nameof(failures));
        }

        Failures = failures;
    }

    /// <summary>Creates the exception for one failure.</summary>
    public UsageException(string failure)
        : this([failure])
    {
    }

    /// <summary>Every failure found, each naming the option or argument it is about.</summary>
    public IReadOnlyList<string> Failures { get; }
}

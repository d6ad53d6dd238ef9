using System.Globalization;
using Microsoft.Extensions.Options;

namespace OrleansUws.Coordinator.Cli;

/// <summary>
/// Collects every failure of one validation pass so a validator can report them all at once.
/// Each check names the command-line option it is about.
/// </summary>
public sealed class ValidationFailures
{
    private readonly List<string> _failures = [];

    /// <summary>Adds a failure when <paramref name="value"/> is below <paramref name="minimum"/>.</summary>
    public void AtLeast(string option, int value, int minimum)
    {
        if (value < minimum)
        {
            Add($"{option} must be at least {minimum} (got {value})");
        }
    }

    /// <summary>
    /// Adds a failure when <paramref name="value"/> is above <paramref name="maximum"/>, the limit set by
    /// <paramref name="limitedBy"/> (e.g. "for preset 'tiny'").
    /// </summary>
    public void AtMost(string option, int value, int maximum, string limitedBy)
    {
        if (value > maximum)
        {
            Add($"{option} must be at most {maximum} {limitedBy} (got {value})");
        }
    }

    /// <summary>Adds a failure when <paramref name="value"/> is outside [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public void InRange(string option, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            Add($"{option} must be between {minimum} and {maximum} (got {value})");
        }
    }

    /// <summary>Adds a failure when <paramref name="value"/> is not in the open-closed interval (<paramref name="lower"/>, <paramref name="upper"/>].</summary>
    public void InOpenClosedRange(string option, double value, double lower, double upper)
    {
        if (!(value > lower && value <= upper))
        {
            Add(string.Create(CultureInfo.InvariantCulture, $"{option} must be in ({lower}, {upper}] (got {value})"));
        }
    }

    /// <summary>Adds a failure when <paramref name="value"/> is negative or not finite.</summary>
    public void NonNegative(string option, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            Add(string.Create(CultureInfo.InvariantCulture, $"{option} must be a finite number ≥ 0 (got {value})"));
        }
    }

    /// <summary>Adds a failure when <paramref name="value"/> is null or blank.</summary>
    public void NotBlank(string option, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add($"{option} must not be empty");
        }
    }

    /// <summary>
    /// Adds a failure when <paramref name="urls"/> is given but is blank or holds an address (';'-separated, Kestrel's
    /// <c>+</c> and <c>*</c> hosts allowed) that is not http:// or https://.
    /// </summary>
    public void HttpUrls(string option, string? urls)
    {
        if (urls is null)
        {
            return;
        }

        NotBlank(option, urls);
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                Add($"{option} '{url}' is not an http:// or https:// address");
            }
        }
    }

    /// <summary>Adds a failure when <paramref name="path"/> is given but is not an existing directory.</summary>
    public void DirectoryExists(string option, string? path)
    {
        if (path is not null && !Directory.Exists(path))
        {
            Add($"{option}: directory '{path}' does not exist");
        }
    }

    /// <summary>Adds a failure when <paramref name="value"/> is not one of <paramref name="allowed"/> (case-insensitive).</summary>
    public void OneOf(string option, string value, IReadOnlyCollection<string> allowed)
    {
        if (!allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            Add($"{option} must be one of {string.Join(", ", allowed)} (got '{value}')");
        }
    }

    /// <summary>Adds <paramref name="failure"/> as is.</summary>
    public void Add(string failure) => _failures.Add(failure);

    /// <summary>Throws a <see cref="UsageException"/> listing every failure added; returns true when there was none.</summary>
    public bool ThrowIfAny() => _failures.Count == 0 ? true : throw new UsageException(_failures.ToArray());

    /// <summary>Success when nothing was added, otherwise a failure listing everything added.</summary>
    public ValidateOptionsResult ToResult() =>
        _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);
}

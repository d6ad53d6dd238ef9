using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Hosting;

/// <summary>Checks <see cref="BlasOptions"/> against the registered providers, reporting every failure at once.</summary>
public sealed class BlasOptionsValidator(IEnumerable<IBlasBackendProvider> providers) : IValidateOptions<BlasOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BlasOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var known = providers.Select(p => p.Name).ToList();
        if (string.IsNullOrWhiteSpace(options.Backend))
        {
            failures.Add($"BlasOptions.Backend is empty; use '{BlasOptions.Auto}' or one of: {string.Join(", ", known)}.");
        }
        else if (!string.Equals(options.Backend, BlasOptions.Auto, StringComparison.OrdinalIgnoreCase)
            && !known.Contains(options.Backend, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"BlasOptions.Backend '{options.Backend}' (or {BlasOptions.EnvironmentVariable}) names no registered backend; known: {BlasOptions.Auto}, {string.Join(", ", known)}.");
        }

        var duplicates = known.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            failures.Add($"Several BLAS providers share the name(s) {string.Join(", ", duplicates)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

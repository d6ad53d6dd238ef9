using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;

namespace OrleansUws.Coordinator.Http.Security;

/// <summary>Validates <see cref="ApiKeyOptions"/>: every key's hash is 64 hex digits and every scope is known; reports every failure at once.</summary>
public sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        foreach (var (keyName, key) in options.Keys)
        {
            var field = $"{ApiKeyOptions.Section}:Keys:{keyName}";
            if (key.Sha256.Length != 64 || key.Sha256.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF"))
            {
                failures.Add($"{field}:Sha256 must be the 64 hex digits of the key's SHA-256");
            }

            if (key.Scopes.Count == 0)
            {
                failures.Add($"{field}:Scopes is empty: give read, ingest or admin");
            }

            foreach (var scope in key.Scopes.Where(scope => ApiScopes.IndexOf(scope) < 0))
            {
                failures.Add($"{field}:Scopes holds '{scope}': expected read, ingest or admin");
            }
        }

        return failures.ToResult();
    }
}

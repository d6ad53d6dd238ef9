using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;

namespace OrleansUws.Coordinator.Http;

/// <summary>Validates <see cref="ServeOptions"/>, naming each bad command-line option; reports every failure at once.</summary>
public sealed class ServeOptionsValidator : IValidateOptions<ServeOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        foreach (var url in (options.Urls ?? ServeOptions.DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"--urls '{url}' is not an http:// or https:// address");
            }
        }

        if (options.Urls is not null)
        {
            failures.NotBlank("--urls", options.Urls);
        }

        failures.NotBlank("--upload-dir", options.UploadFolder);
        if (options.MaxUploadBytes < 1 << 20)
        {
            failures.Add($"--max-upload-mb must be at least 1 (got {options.MaxUploadBytes >> 20})");
        }

        failures.InRange("--silo-port", options.SiloPort, 1, 65535);
        failures.InRange("--gateway-port", options.GatewayPort, 1, 65535);
        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"--silo-port and --gateway-port must differ (both {options.SiloPort})");
        }

        return failures.ToResult();
    }
}

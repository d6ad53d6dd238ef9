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
        failures.HttpUrls("--urls", options.Urls);

        failures.NotBlank("--upload-dir", options.UploadFolder);
        if (options.MaxUploadBytes < 1 << 20)
        {
            failures.Add($"--max-upload-mb must be at least 1 (got {options.MaxUploadBytes >> 20})");
        }

        if (options.MaxBodyBytes < 1 << 10)
        {
            failures.Add($"--max-body-kb must be at least 1 (got {options.MaxBodyBytes >> 10})");
        }

        foreach (var root in options.ModelRoots)
        {
            failures.DirectoryExists("--model-root", root);
        }

        if (options.KeysFile is { } keys && !File.Exists(keys))
        {
            failures.Add($"--keys-file: file '{keys}' does not exist");
        }

        failures.AtLeast("--rate-limit", options.RequestsPerMinute, 1);
        if (!(options.PublishThreshold is >= 0 and < 1))
        {
            failures.Add($"--publish-threshold must be in [0, 1) (got {options.PublishThreshold})");
        }

        failures.AtLeast("--replay-events", options.ReplayEvents, 1);
        failures.InRange("--silo-port", options.SiloPort, 1, 65535);
        failures.InRange("--gateway-port", options.GatewayPort, 1, 65535);
        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"--silo-port and --gateway-port must differ (both {options.SiloPort})");
        }

        return failures.ToResult();
    }
}

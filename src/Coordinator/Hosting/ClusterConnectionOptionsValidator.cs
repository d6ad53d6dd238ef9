using Microsoft.Extensions.Options;
using OrleansUws.Coordinator.Cli;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>Validates <see cref="ClusterConnectionOptions"/>, reporting every failure at once.</summary>
public sealed class ClusterConnectionOptionsValidator : IValidateOptions<ClusterConnectionOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ClusterConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new ValidationFailures();
        foreach (var gateway in options.Gateways)
        {
            if (!GatewayEndpoint.TryParse(gateway, out _))
            {
                failures.Add($"--gateway '{gateway}' is not host:port with a port in 1..65535");
            }
        }

        if (options.Gateways.Count > 0 && options.Redis is not null)
        {
            failures.Add("--gateway and --redis are alternatives: give one of them, not both");
        }

        if (options.Redis is not null)
        {
            failures.NotBlank("--redis", options.Redis);
        }

        if (options.CallTimeout <= TimeSpan.Zero)
        {
            failures.Add($"--call-timeout must be a positive number of seconds (got {options.CallTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        }

        failures.NotBlank("--cluster-id", options.ClusterId);
        failures.NotBlank("--service-id", options.ServiceId);
        failures.NotBlank("--fleet-id", options.FleetId);
        if (options.FleetId.Contains('/', StringComparison.Ordinal))
        {
            failures.Add($"--fleet-id must not contain '/' (got '{options.FleetId}')");
        }

        return failures.ToResult();
    }
}

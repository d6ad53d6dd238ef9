using Microsoft.Extensions.Options;

namespace OrleansUws.Silo.Options;

/// <summary>Validates <see cref="UwsSiloOptions"/>, reporting every invalid field at once.</summary>
public sealed class UwsSiloOptionsValidator : IValidateOptions<UwsSiloOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, UwsSiloOptions options)
    {
        const string prefix = UwsSiloOptions.SectionName + ":";
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add($"{prefix}ClusterId must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add($"{prefix}ServiceId must not be empty.");
        }

        if (options.SiloPort is < 1 or > 65535)
        {
            failures.Add($"{prefix}SiloPort must be in [1, 65535] (was {options.SiloPort}).");
        }

        if (options.GatewayPort is < 1 or > 65535)
        {
            failures.Add($"{prefix}GatewayPort must be in [1, 65535] (was {options.GatewayPort}).");
        }

        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"{prefix}SiloPort and GatewayPort must differ (both {options.SiloPort}).");
        }

        if (options.RedisConnectionString is { } redis && string.IsNullOrWhiteSpace(redis))
        {
            failures.Add($"{prefix}RedisConnectionString is blank: remove it for localhost clustering or give host:port.");
        }

        if (options.InProcessStorage && !string.IsNullOrWhiteSpace(options.RedisConnectionString))
        {
            failures.Add($"{prefix}InProcessStorage keeps grain state in this process only; it cannot be combined with RedisConnectionString (Redis storage).");
        }

        if (options.AdvertisedAddress is { } address && !System.Net.IPAddress.TryParse(address, out _))
        {
            failures.Add($"{prefix}AdvertisedAddress must be an IP address (was '{address}').");
        }

        if (options.Gpu.MemoryBytes is < 0)
        {
            failures.Add($"{prefix}Gpu:MemoryBytes must not be negative (was {options.Gpu.MemoryBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

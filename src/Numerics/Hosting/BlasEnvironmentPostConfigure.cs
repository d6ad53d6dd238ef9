using Microsoft.Extensions.Options;

namespace OrleansUws.Numerics.Hosting;

/// <summary>Applies the <c>UWS_BLAS</c> environment variable over configured <see cref="BlasOptions"/>.</summary>
public sealed class BlasEnvironmentPostConfigure : IPostConfigureOptions<BlasOptions>
{
    private readonly Func<string, string?> _environment;

    /// <summary>Reads the process environment.</summary>
    public BlasEnvironmentPostConfigure()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Reads variables through <paramref name="environment"/> (tests).</summary>
    public BlasEnvironmentPostConfigure(Func<string, string?> environment) => _environment = environment;

    /// <inheritdoc />
    public void PostConfigure(string? name, BlasOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? value = _environment(BlasOptions.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            options.Backend = value.Trim();
        }
    }
}

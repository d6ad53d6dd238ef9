namespace OrleansUws.Numerics.Hosting;

/// <summary>Chooses the BLAS backend. Bound from configuration; the <c>UWS_BLAS</c> environment variable overrides it.</summary>
public sealed class BlasOptions
{
    /// <summary>The value meaning "probe every provider by priority and take the first available".</summary>
    public const string Auto = "auto";

    /// <summary>The environment variable that overrides <see cref="Backend"/>.</summary>
    public const string EnvironmentVariable = "UWS_BLAS";

    /// <summary>
    /// <c>"auto"</c> (default) or the <see cref="Backends.IBlasBackendProvider.Name"/> of the backend to force
    /// ("managed", "openblas", "cuda"). A forced backend that cannot run fails startup with its reason.
    /// </summary>
    public string Backend { get; set; } = Auto;
}

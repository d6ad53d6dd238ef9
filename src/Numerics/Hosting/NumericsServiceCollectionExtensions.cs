using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Hosting;
using OrleansUws.Numerics.Sketching;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the numerics library in a service collection.</summary>
public static class NumericsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the managed and OpenBLAS providers, <see cref="BlasOptions"/> (validated; <c>UWS_BLAS</c>
    /// overrides), <see cref="OpenBlasOptions"/> (one thread per call unless configured), the <see cref="BlasBackendSelector"/>, the selected <see cref="IBlasBackend"/> singleton,
    /// <see cref="CovarianceSketchFactory"/> and <see cref="SubspaceBasisSolver"/>. Idempotent: calling it again
    /// only applies <paramref name="configure"/>. Other assemblies add providers with
    /// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IBlasBackendProvider, X&gt;())</c>.
    /// </summary>
    public static IServiceCollection AddUwsNumerics(this IServiceCollection services, Action<BlasOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<BlasOptions>();
        services.AddOptions<OpenBlasOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OpenBlasOptions>, OpenBlasOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BlasOptions>, BlasEnvironmentPostConfigure>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BlasOptions>, BlasOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlasBackendProvider, ManagedBlasBackendProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlasBackendProvider, OpenBlasBackendProvider>());
        services.TryAddSingleton<BlasBackendSelector>();
        services.TryAddSingleton(sp => sp.GetRequiredService<BlasBackendSelector>().Selected);
        services.TryAddSingleton<CovarianceSketchFactory>();
        services.TryAddSingleton<SubspaceBasisSolver>();
        return services;
    }
}

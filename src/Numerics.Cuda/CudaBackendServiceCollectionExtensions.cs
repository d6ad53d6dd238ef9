using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Cuda;

/// <summary>Registers the CUDA backend provider.</summary>
public static class CudaBackendServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CudaBackendProvider"/> to the <see cref="IBlasBackendProvider"/> set (idempotent, through
    /// <c>TryAddEnumerable</c>) with validated <see cref="CudaBackendOptions"/>. The backend selector registered by
    /// the numerics library then prefers it when it probes successfully, or uses it alone under <c>UWS_BLAS=cuda</c>.
    /// </summary>
    public static IServiceCollection AddCudaBackend(this IServiceCollection services, Action<CudaBackendOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<CudaBackendOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CudaBackendOptions>, CudaBackendOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBlasBackendProvider, CudaBackendProvider>(provider => new CudaBackendProvider(
            provider.GetRequiredService<IOptions<CudaBackendOptions>>(),
            provider.GetService<ILogger<CudaBackendProvider>>() ?? NullLogger<CudaBackendProvider>.Instance)));
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansUws.Grains;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.Placement;
using OrleansUws.Grains.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what the UWS grains need from DI (the numerics backend is registered by the silo).</summary>
public static class UwsGrainServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="UwsClusterOptions"/> bound to <c>Uws:Cluster</c> (validated at start), the metrics, the shared
    /// <see cref="ModelReaderCache"/> and <see cref="SketchUpdateGate"/>, the grains'
    /// clock (<see cref="TimeProvider.System"/> unless one is already registered under
    /// <see cref="UwsStorage.TimeProviderKey"/>) and the <see cref="GpuSpreadPlacement"/> director. Idempotent.
    /// </summary>
    public static IServiceCollection AddUwsGrainServices(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(ModelReaderCache)))
        {
            return services;
        }

        services.AddOptions<UwsClusterOptions>().Bind(configuration.GetSection(UwsClusterOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UwsClusterOptions>, UwsClusterOptionsValidator>());
        services.AddUwsMetrics();
        services.TryAddSingleton<ModelReaderCache>();
        services.TryAddSingleton<SketchUpdateGate>();
        services.TryAddKeyedSingleton(UwsStorage.TimeProviderKey, TimeProvider.System);
        services.AddPlacementDirector<GpuSpreadPlacement, GpuSpreadPlacementDirector>();
        return services;
    }
}

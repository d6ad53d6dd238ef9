using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace OrleansUws.Grains.Telemetry;

/// <summary>Registers OrleansUws' instruments in a host (silo or gateway).</summary>
public static class UwsTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="UwsMetrics"/> with its <see cref="LayerGaugeStore"/> and <see cref="IngestionQueueStatsRegistry"/>,
    /// created when the host starts so the gauges exist before the first grain call. Idempotent.
    /// </summary>
    public static IServiceCollection AddUwsMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(UwsMetricsActivator)))
        {
            return services;
        }

        services.AddMetrics();
        services.TryAddSingleton<LayerGaugeStore>();
        services.TryAddSingleton<IngestionQueueStatsRegistry>();
        services.TryAddSingleton<UwsMetrics>();
        services.AddSingleton<UwsMetricsActivator>();
        services.AddHostedService(sp => sp.GetRequiredService<UwsMetricsActivator>());
        return services;
    }

    /// <summary>Creates the metrics (and so their observable gauges) when the host starts.</summary>
    private sealed class UwsMetricsActivator(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<UwsMetrics>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

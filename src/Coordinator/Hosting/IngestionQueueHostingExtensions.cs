using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>Wires the durable ingestion queue into a long-running process connected to a Redis-backed cluster.</summary>
public static partial class IngestionQueueHostingExtensions
{
    /// <summary>
    /// When <paramref name="connection"/> names a Redis: adds <see cref="IngestionQueues"/> (sources enqueue there instead
    /// of submitting) and the <see cref="IngestionQueueWorker"/> that drains them. Without Redis (embedded mode) adds
    /// nothing: sources submit directly. Idempotent.
    /// </summary>
    public static IHostApplicationBuilder AddUwsIngestionQueue(this IHostApplicationBuilder builder, ClusterConnectionOptions connection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Redis is null)
        {
            return builder;
        }

        builder.Services.TryAddSingleton(services =>
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IngestionQueues));
            return new IngestionQueues(connection, services.GetService<IngestionQueueStatsRegistry>(), services.GetService<UwsMetrics>())
            {
                OnRetry = message => LogRetry(logger, message),
            };
        });
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, IngestionQueueWorker>());
        return builder;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion queue retry: {Message}")]
    private static partial void LogRetry(ILogger logger, string message);
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Silo.Hosting;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>
/// The telemetry of a cluster client that serves no API (<c>uws ingest --metrics-urls</c>): the same OpenTelemetry
/// wiring as the silo and <c>uws serve</c> (<see cref="ServiceDefaultsExtensions"/>), served for Prometheus at
/// <c>/metrics</c> with <c>/health</c> and <c>/alive</c>, on a small web host of its own. Its <see cref="Metrics"/> and
/// <see cref="Queues"/> are where the process's ingestion queue counts its retries and reports its length.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsEndpoint(WebApplication app) => _app = app;

    /// <summary>The addresses the endpoint listens on.</summary>
    public IReadOnlyCollection<string> Urls => [.. _app.Urls];

    /// <summary>The process's instruments.</summary>
    public UwsMetrics Metrics => _app.Services.GetRequiredService<UwsMetrics>();

    /// <summary>Where ingestion queues register their figures for the <c>uws.queue.*</c> gauges.</summary>
    public IngestionQueueStatsRegistry Queues => _app.Services.GetRequiredService<IngestionQueueStatsRegistry>();

    /// <summary>Starts listening on <paramref name="urls"/> (';'-separated).</summary>
    public static async Task<MetricsEndpoint> StartAsync(string urls, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);

        // The verb writes its own console output; the host's logs go only where OpenTelemetry sends them (OTLP when set).
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"cannot serve metrics at {urls}: {ex.Message}", ex);
        }

        return new MetricsEndpoint(app);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>
/// A started connection to the grains for one CLI verb: it owns the host (embedded silo or client) and stops
/// it on dispose. Logs go to standard error at <c>Warning</c> and above unless asked otherwise, so they do not
/// mix with tables and progress bars.
/// </summary>
public sealed class UwsSession : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly StopFlag _stopping;

    private UwsSession(IHost host, ClusterConnectionOptions connection, StopFlag stopping)
    {
        _host = host;
        _stopping = stopping;
        Connection = connection;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>How the session is connected.</summary>
    public ClusterConnectionOptions Connection { get; }

    /// <summary>The cluster client (in embedded mode, the silo's own).</summary>
    public IClusterClient Client { get; }

    /// <summary>The fleet registry grain of <see cref="ClusterConnectionOptions.FleetId"/>.</summary>
    public IFleetGrain Fleet => Client.GetGrain<IFleetGrain>(UwsKeys.Fleet(Connection.FleetId));

    /// <summary>The coordinator grain of one layer and mode of the session's fleet.</summary>
    public ILayerCoordinatorGrain Layer(string layer, SketchMode mode) =>
        Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(Connection.FleetId, layer, mode));

    /// <summary>
    /// Starts an embedded silo or connects to the cluster named by <paramref name="connection"/>. An embedded silo also
    /// takes <paramref name="embeddedDefaults"/> (configuration keys), each unless configured otherwise (environment).
    /// </summary>
    public static async Task<UwsSession> StartAsync(
        ClusterConnectionOptions connection,
        LogLevel minimumLogLevel = LogLevel.Warning,
        IReadOnlyDictionary<string, string>? embeddedDefaults = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(minimumLogLevel);

        // Once the session stops, the in-process silo tears down its grains (and the in-memory storage they would
        // checkpoint to) in an order that logs errors nobody can act on: the state dies with the process anyway.
        var stopping = new StopFlag();
        // (A filter function without a category replaces the minimum level, so it applies that level too.)
        builder.Logging.AddFilter((_, level) => level >= minimumLogLevel && (!stopping.IsSet || level >= LogLevel.Critical));

        // The watchdog's first check after start-up measures from an uninitialised timestamp and warns spuriously.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.AddUwsCluster(connection, embeddedDefaults: embeddedDefaults);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new UwsSession(host, connection, stopping);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stopping.IsSet = true;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }

    private sealed class StopFlag
    {
        public volatile bool IsSet;
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansUws.Silo.Hosting;
using StackExchange.Redis;

namespace OrleansUws.Coordinator.Hosting;

/// <summary>
/// Wires the coordinator's host to its grains: an in-process silo (embedded mode) or an Orleans client of a
/// running cluster (static gateways or Redis membership).
/// </summary>
public static class UwsClusterHostingExtensions
{
    /// <summary>
    /// How long a grain call may take by default (<see cref="ClusterConnectionOptions.CallTimeout"/>). Orleans' default (30 s) is too short for the numerics here: a basis of a
    /// 4096-wide layer, or a model's 32 layers absorbed while other layers compute, can take longer on a small
    /// machine; a call that fails for that reason would only be repeated.
    /// </summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(5);

    private const string EmbeddedCheckpointKey = "Uws:Cluster:SliceCheckpointEveryModels";
    private const string EmbeddedSliceCountKey = "Uws:Cluster:SliceCount";
    private const string EmbeddedInProcessStorageKey = "Uws:Silo:InProcessStorage";

    /// <summary>
    /// Adds an embedded silo (when <paramref name="connection"/> names no cluster) or an Orleans client.
    /// An embedded silo listens on <paramref name="embeddedPorts"/>, or on free loopback ports when null, so
    /// several embedded processes (and tests) can run side by side. <paramref name="embeddedDefaults"/> are the caller's
    /// own settings for an embedded silo (configuration keys), each applied unless configured otherwise, as the ones below.
    /// </summary>
    public static IHostApplicationBuilder AddUwsCluster(
        this IHostApplicationBuilder builder,
        ClusterConnectionOptions connection,
        (int SiloPort, int GatewayPort)? embeddedPorts = null,
        IReadOnlyDictionary<string, string>? embeddedDefaults = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.IsEmbedded)
        {
            var (siloPort, gatewayPort) = embeddedPorts ?? FreeLoopbackPortPair();
            var settings = new Dictionary<string, string?>
            {
                ["Uws:Silo:ClusterId"] = connection.ClusterId,
                ["Uws:Silo:ServiceId"] = connection.ServiceId,
                ["Uws:Silo:SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Uws:Silo:GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };

            // Each default below holds unless configured otherwise (environment, appsettings).
            void Default(string key, string value)
            {
                if (builder.Configuration[key] is null)
                {
                    settings[key] = value;
                }
            }

            bool durable = builder.Configuration["Uws:Silo:RedisConnectionString"] is not null;
            if (!durable)
            {
                // An embedded silo keeps its grain state in memory, which dies with the process: checkpointing every
                // slice's sketch after each model would copy megabytes per model for nothing. Checkpoint only on
                // deactivation (Uws__Cluster__SliceCheckpointEveryModels).
                Default(EmbeddedCheckpointKey, int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));

                // The embedded silo is its cluster's only one: its grain state stays in this process as copies (immutable
                // basis versions by reference) instead of going through Orleans' memory storage grains, which serialise and
                // copy every write so that other silo processes could reach it.
                Default(EmbeddedInProcessStorageKey, "true");
            }

            // Slices spread a layer's models over silos; an embedded silo is the only one, and its layers already keep
            // the sketch workers busy, so a second slice per layer would only add a summary to merge at every version.
            // One slice per layer (Uws__Cluster__SliceCount).
            Default(EmbeddedSliceCountKey, "1");
            foreach (var (key, value) in embeddedDefaults ?? new Dictionary<string, string>())
            {
                Default(key, value);
            }

            builder.Configuration.AddInMemoryCollection(settings);
            builder.AddUwsSilo(silo => silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = connection.CallTimeout));
            return builder;
        }

        builder.UseOrleansClient(client =>
        {
            if (connection.Redis is { } redis)
            {
                client.UseRedisClustering(options => options.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            }
            else
            {
                client.UseStaticClustering(connection.Gateways.Select(GatewayEndpoint.Resolve).ToArray());
            }

            client.AddActivityPropagation();
            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = connection.CallTimeout);
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = connection.ClusterId;
                options.ServiceId = connection.ServiceId;
            });
        });
        return builder;
    }

    /// <summary>
    /// Two distinct free loopback ports: both listeners are held open while the ports are read, so the OS cannot
    /// hand out the same ephemeral port twice (two sequential probes can, and the silo then refuses to start).
    /// </summary>
    private static (int First, int Second) FreeLoopbackPortPair()
    {
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        try
        {
            return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        }
        finally
        {
            first.Stop();
            second.Stop();
        }
    }
}

namespace OrleansUws.Coordinator.Hosting;

/// <summary>
/// Where the coordinator's grains live. With no gateway and no Redis connection string the coordinator hosts a
/// silo in its own process (embedded mode: localhost clustering, in-memory storage, nothing else needed);
/// otherwise it joins an existing cluster as an Orleans client.
/// </summary>
public sealed class ClusterConnectionOptions
{
    /// <summary>Default for <see cref="ClusterId"/> and <see cref="ServiceId"/>.</summary>
    public const string DefaultId = "uws";

    /// <summary>Default for <see cref="FleetId"/>.</summary>
    public const string DefaultFleetId = "default";

    /// <summary>
    /// Static gateways as <c>host:port</c> (the silos' gateway port, 30000 by default); empty for embedded mode
    /// or Redis. Option <c>--gateway</c>.
    /// </summary>
    public IReadOnlyList<string> Gateways { get; set; } = [];

    /// <summary>StackExchange.Redis connection string of the cluster's membership table; null when not used. Option <c>--redis</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>Orleans cluster id; must match the silos'. Default <see cref="DefaultId"/>. Option <c>--cluster-id</c>.</summary>
    public string ClusterId { get; set; } = DefaultId;

    /// <summary>Orleans service id; must match the silos'. Default <see cref="DefaultId"/>. Option <c>--service-id</c>.</summary>
    public string ServiceId { get; set; } = DefaultId;

    /// <summary>The fleet the command works on (the first part of every layer grain's key). Option <c>--fleet-id</c>.</summary>
    public string FleetId { get; set; } = DefaultFleetId;

    /// <summary>
    /// How long a grain call may take before it fails with a <see cref="TimeoutException"/> (and a submission is retried).
    /// Default <see cref="UwsClusterHostingExtensions.CallTimeout"/> (5 min), long enough for a basis of a 4096-wide layer on a
    /// small machine. It is also how long a client call waits when the silo serving it dies (a client learns of that only by
    /// the timeout): on a healthy cluster a shorter value recovers faster. Option <c>--call-timeout</c> (seconds).
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = UwsClusterHostingExtensions.CallTimeout;

    /// <summary>True when the coordinator hosts its own silo.</summary>
    public bool IsEmbedded => Gateways.Count == 0 && Redis is null;
}

namespace OrleansUws.Silo.Options;

/// <summary>How a UWS silo joins its cluster and what it advertises (configuration section <c>Uws:Silo</c>).</summary>
public sealed class UwsSiloOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Uws:Silo";

    /// <summary>Orleans cluster id. Default "uws".</summary>
    public string ClusterId { get; set; } = "uws";

    /// <summary>Orleans service id (names persisted state). Default "uws".</summary>
    public string ServiceId { get; set; } = "uws";

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// StackExchange.Redis connection string (e.g. "localhost:6379"). When set the silo uses Redis clustering and
    /// Redis grain storage (Orleans binary serializer); when empty, localhost clustering and in-memory storage.
    /// </summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// Without Redis: keep grain state in this process (<see cref="Hosting.InProcessGrainStorage"/>, deep copies that
    /// share immutable values) instead of Orleans' memory storage (serialised, reachable from other silo processes).
    /// Only for a silo that is its cluster's only one: the embedded <c>uws</c> process sets it. Default false.
    /// </summary>
    public bool InProcessStorage { get; set; }

    /// <summary>
    /// The IP address the silo advertises to the cluster and listens on (silo and gateway ports) with Redis clustering,
    /// e.g. a pod's IP or "127.0.0.1" for processes on one machine. Null (default): the host's first non-loopback address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>What the silo advertises about its GPU.</summary>
    public UwsGpuOptions Gpu { get; set; } = new();
}

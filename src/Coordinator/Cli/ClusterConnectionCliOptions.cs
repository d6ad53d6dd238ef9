using System.CommandLine;
using OrleansUws.Coordinator.Hosting;

namespace OrleansUws.Coordinator.Cli;

/// <summary>The command-line options every cluster-facing verb shares: <c>--gateway</c>, <c>--redis</c>, ids.</summary>
public sealed class ClusterConnectionCliOptions
{
    private readonly Option<string[]> _gateway = new("--gateway")
    {
        Description = "Join a running cluster through this static gateway (host:port; repeat the option for more). Default: an embedded silo in this process.",

        // One address per --gateway, so that `uws ingest --gateway host:port FOLDER` leaves FOLDER to the command.
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _redis = new("--redis")
    {
        Description = "Join a running cluster whose membership table is in Redis (StackExchange.Redis connection string).",
    };

    private readonly Option<string> _clusterId = new("--cluster-id")
    {
        Description = "Orleans cluster id (must match the silos').",
        DefaultValueFactory = _ => ClusterConnectionOptions.DefaultId,
    };

    private readonly Option<string> _serviceId = new("--service-id")
    {
        Description = "Orleans service id (must match the silos').",
        DefaultValueFactory = _ => ClusterConnectionOptions.DefaultId,
    };

    private readonly Option<string> _fleetId = new("--fleet-id")
    {
        Description = "Name of the fleet in the cluster (grain keys start with it).",
        DefaultValueFactory = _ => ClusterConnectionOptions.DefaultFleetId,
    };

    private readonly Option<double> _callTimeout = new("--call-timeout")
    {
        Description = "Seconds a grain call may take before it fails and a submission is retried (also how long a call waits when its silo dies).",
        DefaultValueFactory = _ => UwsClusterHostingExtensions.CallTimeout.TotalSeconds,
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_gateway);
        command.Options.Add(_redis);
        command.Options.Add(_clusterId);
        command.Options.Add(_serviceId);
        command.Options.Add(_fleetId);
        command.Options.Add(_callTimeout);
    }

    /// <summary>Binds and validates the options; throws <see cref="UsageException"/> listing every bad value.</summary>
    public ClusterConnectionOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var options = new ClusterConnectionOptions
        {
            Gateways = parseResult.GetValue(_gateway) ?? [],
            Redis = parseResult.GetValue(_redis),
            ClusterId = parseResult.GetValue(_clusterId) ?? ClusterConnectionOptions.DefaultId,
            ServiceId = parseResult.GetValue(_serviceId) ?? ClusterConnectionOptions.DefaultId,
            FleetId = parseResult.GetValue(_fleetId) ?? ClusterConnectionOptions.DefaultFleetId,
            CallTimeout = CallTimeout(parseResult.GetValue(_callTimeout)),
        };
        return new ClusterConnectionOptionsValidator().ValidateOrThrow(options);
    }

    // A value a TimeSpan cannot hold (NaN, ±∞, beyond ~29,000 years) becomes zero; the validator names it, and any value ≤ 0.
    private static TimeSpan CallTimeout(double seconds) =>
        double.IsFinite(seconds) && Math.Abs(seconds) < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
}

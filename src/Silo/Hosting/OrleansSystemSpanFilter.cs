using System.Diagnostics;
using OpenTelemetry;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// Keeps the spans of OrleansUws' own grain calls and drops Orleans' system-target calls (timers, membership, directory:
/// several a second per silo). Orleans files a call under <see cref="UwsTelemetryNames.OrleansRuntimeSourceName"/>
/// whenever the grain interface's namespace starts with "Orleans", which ours (<c>OrleansUws.Grains.Interfaces</c>) does,
/// so that source must be traced for a model's trace to reach the silos; this filter leaves only our interfaces' calls
/// in it. A dropped span is marked not recorded, so the calls it makes are not traced either (W3C sampled flag off).
/// </summary>
public sealed class OrleansSystemSpanFilter : BaseProcessor<Activity>
{
    /// <summary>Names of our grain interfaces, as Orleans starts its span names ("IFleetGrain/SubmitAsync").</summary>
    private static readonly HashSet<string> OwnInterfaces = typeof(IFleetGrain).Assembly.GetTypes()
        .Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t))
        .Select(t => t.Name)
        .ToHashSet(StringComparer.Ordinal);

    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Source.Name == UwsTelemetryNames.OrleansRuntimeSourceName && !IsOwnCall(data.DisplayName))
        {
            data.IsAllDataRequested = false;
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }

    /// <summary>Whether a span name (interface/method) is a call of one of our grain interfaces.</summary>
    public static bool IsOwnCall(string spanName)
    {
        ArgumentNullException.ThrowIfNull(spanName);
        var slash = spanName.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && OwnInterfaces.Contains(spanName[..slash]);
    }
}

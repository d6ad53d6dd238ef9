using System.Diagnostics;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Cluster.Bench;

/// <summary>
/// The same fleet through an embedded silo: models submitted concurrently to the fleet grain (slice grains
/// read their layers from the files), then every layer's coordinator computes a version on demand.
/// </summary>
public static class EmbeddedClusterRun
{
    /// <summary>Ingests <paramref name="models"/> into fleet <paramref name="fleetId"/> and computes the bases.</summary>
    /// <exception cref="InvalidOperationException">A model was rejected (the benchmark's fleet must be clean); the message gives the reason.</exception>
    public static async Task<PhaseTimings> RunAsync(IClusterClient client, string fleetId, IReadOnlyList<ModelSource> models, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(client);
        var fleet = client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleetId));
        var cpu = PhaseTimings.ProcessCpu();
        var ingest = Stopwatch.StartNew();
        var summary = await new ModelIngestor(fleet, parallelism).IngestAsync(models).ConfigureAwait(false);
        ingest.Stop();
        cpu = PhaseTimings.ProcessCpu() - cpu;
        if (summary.Rejected.Count > 0)
        {
            throw new InvalidOperationException($"{summary.Rejected.Count} models were rejected, e.g. {summary.Rejected[0].ModelId}: {summary.Rejected[0].Reason}");
        }

        var basis = Stopwatch.StartNew();
        await FleetVersions.ComputeNowAsync(client, fleetId).ConfigureAwait(false);
        basis.Stop();
        return new PhaseTimings(models.Count, ingest.Elapsed, basis.Elapsed, cpu);
    }

    /// <summary>
    /// Declares the fleet's policy: rows mode, uncentred, a version every <paramref name="versionEvery"/> models
    /// (0 = none until the benchmark computes one at the end).
    /// </summary>
    public static async Task<FleetDescription> ConfigureAsync(IClusterClient client, string fleetId, int versionEvery = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        var fleet = client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleetId));
        var defaults = await fleet.GetDescriptionAsync().ConfigureAwait(false);
        return await fleet.ConfigureAsync(new FleetConfiguration(
            Modes: [SketchMode.Rows],
            Centered: false,
            Basis: defaults.Basis with { EveryModels = versionEvery, Interval = TimeSpan.Zero })).ConfigureAwait(false);
    }
}

using System.Diagnostics;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Cluster.Bench;

/// <summary>
/// The same fleet through an embedded silo: models submitted concurrently to the fleet grain (slice grains
/// read their layers from the files), with versions by the coordinators' policy or by version cuts as <c>uws run</c>
/// takes them, then every layer's coordinator computes a version on demand.
/// </summary>
public static class EmbeddedClusterRun
{
    /// <summary>Ingests <paramref name="models"/> into fleet <paramref name="fleetId"/> and computes the bases.</summary>
    /// <exception cref="InvalidOperationException">A model was rejected (the benchmark's fleet must be clean); the message gives the reason.</exception>
    public static Task<PhaseTimings> RunAsync(IClusterClient client, string fleetId, IReadOnlyList<ModelSource> models, int parallelism) =>
        MeasureAsync(client, fleetId, models, ingestor => ingestor.IngestAsync(models), parallelism);

    /// <summary>
    /// Ingests <paramref name="models"/> as <c>uws run</c> does: batches of <paramref name="versionEvery"/>, each model
    /// submitted for its batch's version cut, every layer's version of a batch captured when the batch is answered, before
    /// the next batch starts (<see cref="FleetVersions.CaptureNowAsync"/>), and published while the next batch is ingested,
    /// before the batch after next starts (<see cref="FleetVersions.PublishCapturedAsync"/>); then computes the bases.
    /// </summary>
    public static Task<PhaseTimings> RunWithCutsAsync(IClusterClient client, string fleetId, IReadOnlyList<ModelSource> models, int parallelism, int versionEvery) =>
        MeasureAsync(
            client,
            fleetId,
            models,
            ingestor => ingestor.IngestInBatchesAsync(
                models,
                versionEvery,
                (cut, ct) => FleetVersions.CaptureNowAsync(client, fleetId, cut, ct),
                overlap: true,
                publish: ct => FleetVersions.PublishCapturedAsync(client, fleetId, ct)),
            parallelism);

    private static async Task<PhaseTimings> MeasureAsync(
        IClusterClient client, string fleetId, IReadOnlyList<ModelSource> models, Func<ModelIngestor, Task<IngestSummary>> ingest, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(client);
        var fleet = client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleetId));
        var cpu = PhaseTimings.ProcessCpu();
        var ingestWatch = Stopwatch.StartNew();
        var summary = await ingest(new ModelIngestor(fleet, parallelism)).ConfigureAwait(false);
        ingestWatch.Stop();
        cpu = PhaseTimings.ProcessCpu() - cpu;
        if (summary.Rejected.Count > 0)
        {
            throw new InvalidOperationException($"{summary.Rejected.Count} models were rejected, e.g. {summary.Rejected[0].ModelId}: {summary.Rejected[0].Reason}");
        }

        var basis = Stopwatch.StartNew();
        await FleetVersions.ComputeNowAsync(client, fleetId).ConfigureAwait(false);
        basis.Stop();
        return new PhaseTimings(models.Count, ingestWatch.Elapsed, basis.Elapsed, cpu);
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

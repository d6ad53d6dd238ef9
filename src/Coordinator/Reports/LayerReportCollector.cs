using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Subspace.Diagnostics;

namespace OrleansUws.Coordinator.Reports;

/// <summary>Reads every layer's status and basis from the coordinator grains of a fleet.</summary>
public static class LayerReportCollector
{
    /// <summary>
    /// The layers and modes of <paramref name="fleet"/> that have a basis, in the registry's order, with their
    /// convergence history, current basis and its diagnostics. <paramref name="truth"/>, when given, adds sin θ to the planted subspace.
    /// </summary>
    /// <paramref name="loraRanks"/> (layer id → LoRA rank r of the fleet's adapters), when given, sets the independent rows
    /// of the Marchenko–Pastur null to T·r: an adapter's m rows span only r dimensions.
    public static async Task<IReadOnlyList<LayerSnapshot>> CollectAsync(
        UwsSession session,
        FleetDescription fleet,
        PlantedTruth? truth = null,
        IReadOnlyDictionary<string, int>? loraRanks = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(fleet);
        var keys = fleet.Layers.SelectMany(layer => fleet.Modes.Select(mode => (layer.Layer, Mode: mode))).ToArray();
        var snapshots = await Task.WhenAll(keys.Select(async key =>
        {
            var grain = session.Layer(key.Layer, key.Mode);
            var status = await grain.GetStatusAsync().ConfigureAwait(false);
            var basis = await grain.GetBasisAsync().ConfigureAwait(false);
            return basis is null || status.History.Count == 0
                ? null
                : new LayerSnapshot(
                    new LayerReport(key.Layer, key.Mode, status.History, truth?.SinTheta(basis))
                    {
                        Diagnostics = SubspaceDiagnostics.ForBasis(BasisFileWriter.ToBasisFile(basis, independentRows: IndependentRows(basis.Info, loraRanks))),
                    },
                    basis);
        })).ConfigureAwait(false);
        return snapshots.OfType<LayerSnapshot>().ToArray();
    }

    /// <summary>T·r for a rows or columns basis of a LoRA fleet whose rank is known; null otherwise (every absorbed row counts).</summary>
    public static long? IndependentRows(BasisVersionInfo info, IReadOnlyDictionary<string, int>? loraRanks)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Mode != SketchMode.Flattened && loraRanks is not null && loraRanks.TryGetValue(info.Layer, out var rank)
            ? (long)info.ModelCount * rank
            : null;
    }
}

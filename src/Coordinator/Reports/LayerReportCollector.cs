using OrleansUws.Coordinator.Hosting;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Reports;

/// <summary>Reads every layer's status and basis from the coordinator grains of a fleet.</summary>
public static class LayerReportCollector
{
    /// <summary>
    /// The layers and modes of <paramref name="fleet"/> that have a basis, in the registry's order, with their
    /// convergence history and current basis. <paramref name="truth"/>, when given, adds sin θ to the planted subspace.
    /// </summary>
    public static async Task<IReadOnlyList<LayerSnapshot>> CollectAsync(
        UwsSession session,
        FleetDescription fleet,
        PlantedTruth? truth = null)
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
                : new LayerSnapshot(new LayerReport(key.Layer, key.Mode, status.History, truth?.SinTheta(basis)), basis);
        })).ConfigureAwait(false);
        return snapshots.OfType<LayerSnapshot>().ToArray();
    }
}

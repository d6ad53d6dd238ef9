using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Declares a fleet's architecture before a pass submits its models, so that it is never taken from whichever model
/// arrives first: the architecture on which the first <see cref="FleetDescription.ArchitectureQuorum"/> readable models
/// agree (headers only), or, when no group gets there, the one most of them share. A model that disagrees is then
/// rejected by the registry naming both shapes.
/// </summary>
public static class ArchitectureAgreement
{
    /// <summary>
    /// Declares the architecture of <paramref name="models"/> on <paramref name="fleet"/> unless the fleet has one;
    /// returns the fleet's description afterwards.
    /// </summary>
    public static async Task<FleetDescription> DeclareAsync(IFleetGrain fleet, IReadOnlyList<ModelSource> models)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(models);
        var description = await fleet.GetDescriptionAsync().ConfigureAwait(false);
        if (description.Layers.Count > 0)
        {
            return description;
        }

        var layers = Agree(models, description.ArchitectureQuorum);
        if (layers is null)
        {
            return description;
        }

        return await fleet.ConfigureAsync(new FleetConfiguration(
            description.Modes, description.Centered, layers, description.SliceCount, description.Sketch, description.Basis,
            description.FlattenedSliceCount, description.ArchitectureQuorum, description.OutlierFactor)).ConfigureAwait(false);
    }

    /// <summary>
    /// The architecture the first <paramref name="quorum"/> readable models of <paramref name="models"/> (in order) agree
    /// on (fewer when there are fewer models); else the one most readable models share (ties: the first seen); null when
    /// no header can be read.
    /// </summary>
    public static IReadOnlyDictionary<string, Grains.Interfaces.LayerShape>? Agree(IReadOnlyList<ModelSource> models, int quorum)
    {
        ArgumentNullException.ThrowIfNull(models);
        var groups = new List<(IReadOnlyDictionary<string, Grains.Interfaces.LayerShape> Layers, int Count)>();
        foreach (var model in models)
        {
            IReadOnlyDictionary<string, Grains.Interfaces.LayerShape> layers;
            try
            {
                using var reader = ModelReader.Open(model.Location);
                layers = Grains.Interfaces.LayerShape.Of(reader.Architecture);
            }
            catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException)
            {
                continue; // the registry rejects it with this reason
            }

            var index = groups.FindIndex(g => Grains.Interfaces.LayerShape.Same(g.Layers, layers));
            if (index < 0)
            {
                index = groups.Count;
                groups.Add((layers, 0));
            }

            groups[index] = (groups[index].Layers, groups[index].Count + 1);
            if (groups[index].Count >= Math.Min(quorum, models.Count))
            {
                return groups[index].Layers;
            }
        }

        return groups.Count == 0 ? null : groups.MaxBy(g => g.Count).Layers;
    }
}

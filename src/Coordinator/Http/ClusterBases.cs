using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// The current bases of a fleet's layers, fetched from their coordinator grains, as the Subspace library's
/// <see cref="BasisSet"/>. The cluster keeps each layer's current basis only: a pinned version is checked, not looked up.
/// </summary>
public static class ClusterBases
{
    /// <summary>The source name the bases carry in messages.</summary>
    public static string SourceOf(string fleet) => $"fleet '{fleet}' (current bases)";

    /// <summary>
    /// The current basis of every layer of <paramref name="fleet"/> in each of <paramref name="modes"/> (layers without a
    /// basis yet are left out), or the layer whose version is not <paramref name="version"/> when one is pinned.
    /// </summary>
    public static async Task<(BasisSet? Bases, string? Mismatch)> LoadAsync(IClusterClient client, string fleet, IReadOnlyList<BasisMode> modes, int? version)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(modes);
        var description = await client.GetGrain<IFleetGrain>(UwsKeys.Fleet(fleet)).GetDescriptionAsync().ConfigureAwait(false);
        var wanted = description.Layers.SelectMany(layer => modes.Select(mode => (layer, mode))).ToArray();
        var bases = await Task.WhenAll(wanted.Select(pair =>
            client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, pair.layer.Layer, SketchModeOf(pair.mode))).GetBasisAsync())).ConfigureAwait(false);
        var files = new List<LayerBasisFile>();
        for (var i = 0; i < wanted.Length; i++)
        {
            if (bases[i] is not { } basis)
            {
                continue;
            }

            if (version is { } pinned && basis.Info.Version != pinned)
            {
                return (null, $"layer '{basis.Info.Layer}' ({BasisModes.Name(wanted[i].mode)}) is at version {basis.Info.Version}, not {pinned}: the cluster keeps the current basis only");
            }

            files.Add(ToFile(basis, wanted[i].mode, wanted[i].layer.Shape));
        }

        return (new BasisSet(files, SourceOf(fleet)), null);
    }

    /// <summary>The Subspace library's form of a layer basis from the cluster.</summary>
    public static LayerBasisFile ToFile(LayerBasis basis, BasisMode mode, LayerShape shape)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(shape);
        var info = basis.Info;
        // One mapping of a version's figures (and streaming diagnostics) onto a header: the basis file writer's.
        var header = BasisFileWriter.Header(info, shape) with { Mode = mode };
        return new LayerBasisFile(header, basis.Dimension, basis.Vectors, basis.SingularValues, basis.Mean);
    }

    private static SketchMode SketchModeOf(BasisMode mode) => mode switch
    {
        BasisMode.Rows => SketchMode.Rows,
        BasisMode.Columns => SketchMode.Columns,
        _ => SketchMode.Flattened,
    };
}

using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// The bases of a fleet's layers, fetched from their coordinator grains (the current version) or their basis archives
/// (the last retained versions, see <see cref="IBasisArchiveGrain"/>), as the Subspace library's <see cref="BasisSet"/>.
/// </summary>
public static class ClusterBases
{
    /// <summary>The source name the bases carry in messages.</summary>
    public static string SourceOf(string fleet) => $"fleet '{fleet}' (current bases)";

    /// <summary>
    /// The current basis of every layer of <paramref name="fleet"/> in each of <paramref name="modes"/> (layers without a
    /// basis yet are left out), or, when <paramref name="version"/> is pinned, that version of every layer — or why a layer
    /// does not have it (never published, or no longer retained).
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
                var (archived, missing) = await VersionAsync(client, basis, pinned).ConfigureAwait(false);
                if (archived is null)
                {
                    return (null, missing);
                }

                basis = archived;
            }

            files.Add(ToFile(basis, wanted[i].mode, wanted[i].layer.Shape));
        }

        return (new BasisSet(files, SourceOf(fleet)), null);
    }

    /// <summary>
    /// Version <paramref name="version"/> of the layer whose current basis is <paramref name="current"/>: the current basis
    /// itself, else the layer's archived copy; or null and a message saying that the version was never published or which
    /// versions are still retained.
    /// </summary>
    public static async Task<(LayerBasis? Basis, string? Missing)> VersionAsync(IClusterClient client, LayerBasis current, int version)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(current);
        var info = current.Info;
        if (version == info.Version)
        {
            return (current, null);
        }

        var name = $"layer '{info.Layer}' ({UwsKeys.ModeName(info.Mode)})";
        if (version < 1 || version > info.Version)
        {
            return (null, $"version {version} of {name} was never published (versions run from 1 to the current {info.Version})");
        }

        var archive = client.GetGrain<IBasisArchiveGrain>(UwsKeys.Coordinator(info.Fleet, info.Layer, info.Mode));
        if (await archive.GetAsync(version).ConfigureAwait(false) is { } archived)
        {
            return (archived, null);
        }

        if (info.Mode == SketchMode.Flattened)
        {
            return (null, $"version {version} of {name} is no longer retained: a flattened layer keeps the current version only ({info.Version}); the history keeps every version's figures");
        }

        var retained = await archive.GetVersionsAsync().ConfigureAwait(false);
        return (null, $"version {version} of {name} is no longer retained: the cluster keeps {Describe(retained, info.Version)}; the history keeps every version's figures");
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

    private static string Describe(IReadOnlyList<int> retained, int current) => retained.Count switch
    {
        0 => $"version {current} only",
        1 => $"version {retained[0]} only",
        _ when retained[^1] - retained[0] == retained.Count - 1 => $"versions {retained[0]} to {retained[^1]}",
        _ => $"versions {string.Join(", ", retained)}",
    };

    private static SketchMode SketchModeOf(BasisMode mode) => mode switch
    {
        BasisMode.Rows => SketchMode.Rows,
        BasisMode.Columns => SketchMode.Columns,
        _ => SketchMode.Flattened,
    };
}

using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Output;
using OrleansUws.Subspace.Bases;

namespace OrleansUws.Coordinator.ModelTools;

/// <summary>
/// Where <c>--bases</c> points: a folder of basis files, or <c>cluster</c> — the current basis of every layer and
/// mode of the fleet on a running cluster (<c>--gateway</c>/<c>--redis</c>, <c>--fleet-id</c>).
/// </summary>
public static class BasesSource
{
    /// <summary>The <c>--bases</c> value that fetches the bases from the cluster.</summary>
    public const string Cluster = "cluster";

    /// <summary>Whether <paramref name="bases"/> names the cluster rather than a folder.</summary>
    public static bool IsCluster(string? bases) => string.Equals(bases, Cluster, StringComparison.Ordinal);

    /// <summary>Loads the bases <paramref name="bases"/> names.</summary>
    /// <exception cref="UsageException">`cluster` without a gateway or Redis (an embedded cluster starts empty).</exception>
    public static async Task<BasisSet> LoadAsync(string bases, ParseResult parseResult, ClusterConnectionCliOptions cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!IsCluster(bases))
        {
            return BasisSet.Load(bases);
        }

        var connection = cluster.Bind(parseResult);
        if (connection.IsEmbedded)
        {
            throw new UsageException("--bases cluster needs --gateway or --redis: an embedded cluster starts empty");
        }

        await using var session = await UwsSession.StartAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        var fleet = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
        var found = new List<LayerBasisFile>();
        foreach (var layer in fleet.Layers)
        {
            foreach (var mode in fleet.Modes)
            {
                if (await session.Layer(layer.Layer, mode).GetBasisAsync().ConfigureAwait(false) is { } basis)
                {
                    found.Add(BasisFileWriter.ToBasisFile(basis, layer.Shape));
                }
            }
        }

        return found.Count > 0
            ? new BasisSet(found, $"cluster fleet '{fleet.Fleet}'")
            : throw new InvalidOperationException($"Fleet '{fleet.Fleet}' on the cluster has no basis yet (ingest models, then compute a version).");
    }
}

using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Metrics;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Decides which versions of a fleet's layers the basis stream publishes: a version newer than the layer's last
/// published one, and, when the threshold τ is positive, only if its basis moved more than τ from the last
/// published basis (sin θ_max between the two; a change of k or of dimension always counts as a move). Not thread-safe:
/// one loop feeds it.
/// </summary>
/// <param name="threshold">τ in [0, 1); 0 publishes every new version.</param>
public sealed class PublicationGate(double threshold)
{
    private readonly Dictionary<(string Layer, SketchMode Mode), (int Version, LayerBasis? Basis)> _last = new();

    /// <summary>Whether <see cref="TryPublish"/> needs the version's basis (τ &gt; 0).</summary>
    public bool NeedsBasis => threshold > 0;

    /// <summary>The last published version of a layer, or 0.</summary>
    public int LastVersion(string layer, SketchMode mode) => _last.TryGetValue((layer, mode), out var last) ? last.Version : 0;

    /// <summary>
    /// True (and records it as the layer's last published version) when <paramref name="version"/> is to be published.
    /// <paramref name="basis"/> is the version's basis, required when <see cref="NeedsBasis"/>.
    /// </summary>
    public bool TryPublish(BasisVersionInfo version, LayerBasis? basis)
    {
        ArgumentNullException.ThrowIfNull(version);
        var key = (version.Layer, version.Mode);
        _last.TryGetValue(key, out var last);
        if (version.Version <= last.Version)
        {
            return false;
        }

        if (NeedsBasis)
        {
            ArgumentNullException.ThrowIfNull(basis);
            if (last.Basis is { } previous && Movement(previous, basis) <= threshold)
            {
                return false;
            }
        }

        _last[key] = (version.Version, NeedsBasis ? basis : null);
        return true;
    }

    /// <summary>sin θ_max between two bases; 1 when their rank or dimension differ.</summary>
    public static double Movement(LayerBasis previous, LayerBasis next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        return previous.Dimension != next.Dimension || previous.Info.Rank != next.Info.Rank || next.Info.Rank == 0
            ? 1.0
            : SubspaceMetrics.SinThetaMax(previous.Vectors, previous.Info.Rank, next.Vectors, next.Info.Rank, next.Dimension);
    }
}

using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Placement;

/// <summary>
/// Chooses the silo of a new slice activation: the compatible silos advertising a GPU if any, else all compatible
/// silos; ordered by address; slice s of a layer goes to <c>eligible[(h + s) mod count]</c>, where h is a stable hash
/// of the layer key, so a layer's slices cover every eligible silo (when it has at least as many slices) and
/// different layers start on different silos. Keys that are not slice keys fall back to the hash of the whole key.
/// </summary>
public sealed class GpuSpreadPlacementDirector(ISiloMetadataCache metadataCache) : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (compatible.Length == 0)
        {
            throw new OrleansException($"No compatible silo for {target.GrainIdentity}.");
        }

        var eligible = SelectEligible(compatible, silo => GpuSiloMetadata.HasGpu(metadataCache.GetSiloMetadata(silo).Metadata));
        return Task.FromResult(eligible[IndexFor(target.GrainIdentity.Key.ToString()!, eligible.Length)]);
    }

    /// <summary>The GPU silos among <paramref name="silos"/> if any, else all; ordered by address (ordinal).</summary>
    public static SiloAddress[] SelectEligible(IReadOnlyCollection<SiloAddress> silos, Func<SiloAddress, bool> hasGpu)
    {
        var gpu = silos.Where(hasGpu).ToArray();
        return (gpu.Length > 0 ? gpu : silos.ToArray())
            .OrderBy(s => s.ToParsableString(), StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Index in [0, count) of the silo for grain key <paramref name="key"/>.</summary>
    public static int IndexFor(string key, int count)
    {
        var lastSlash = key.LastIndexOf('/');
        if (lastSlash > 0 && int.TryParse(key.AsSpan(lastSlash + 1), out var slice) && slice >= 0)
        {
            var layerHash = UwsKeys.SliceOf(key[..lastSlash], count);
            return (int)((layerHash + (long)slice) % count);
        }

        return UwsKeys.SliceOf(key, count);
    }
}

using OrleansUws.Coordinator.Cli;

namespace OrleansUws.Coordinator.Jobs;

/// <summary>
/// Refuses an embedded <c>uws run --mode flattened</c> whose column slices cannot fit this process, before any model
/// is generated or read. Every flattened layer keeps, over its slices together, two 2ℓ-row float32 buffers of m·n
/// columns (the sketch and the rotation's spare) and the float64 running sums: ≥ m·n·(16ℓ + 8) bytes. In embedded
/// mode all of them live in this process, so a Mistral-sized fleet (4096×4096 layers) cannot run flattened on a
/// small machine; the check names the figures instead of letting the process run out of memory.
/// </summary>
public static class FlattenedMemoryCheck
{
    /// <summary>Share of the memory available to the process the estimate may take.</summary>
    public const double Headroom = 0.75;

    /// <summary>Lower bound on the bytes the column slices of <paramref name="layers"/> (m×n each) hold at ℓ = <paramref name="ell"/>.</summary>
    public static long EstimateBytes(IEnumerable<(int OutFeatures, int InFeatures)> layers, int ell)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfLessThan(ell, 1);
        double bytes = layers.Sum(l => (double)l.OutFeatures * l.InFeatures * ((16.0 * ell) + 8));
        return bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
    }

    /// <summary>Throws a <see cref="UsageException"/> naming <c>--mode flattened</c> when the estimate exceeds <see cref="Headroom"/> of <paramref name="availableBytes"/>.</summary>
    public static void ThrowIfTooLarge(IReadOnlyCollection<(int OutFeatures, int InFeatures)> layers, int ell, long availableBytes)
    {
        ArgumentNullException.ThrowIfNull(layers);
        long needed = EstimateBytes(layers, ell);
        if (needed > Headroom * availableBytes)
        {
            var largest = layers.MaxBy(l => (long)l.OutFeatures * l.InFeatures);
            throw new UsageException(
                $"--mode flattened: the column slices of {layers.Count} layer(s) (largest {largest.OutFeatures}×{largest.InFeatures}) at ℓ = {ell} " +
                $"need at least {Gib(needed)} in this process (embedded cluster), but {Gib(availableBytes)} is available; " +
                "use fewer or smaller layers (--layers, --preset tiny / tiny-dense, or a smaller --fleet), a smaller Uws:Cluster:SketchRows, " +
                "or a cluster (--gateway/--redis) whose silos share the slices");
        }
    }

    private static string Gib(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F1} GiB");
}

namespace OrleansUws.Numerics.Internal;

/// <summary>A fixed pseudo-random sequence in (−½, ½): component i of stream <c>seed</c> is a hash of (i, seed), no state.</summary>
internal static class FixedRandom
{
    /// <summary>Component <paramref name="i"/> of stream <paramref name="seed"/>.</summary>
    public static double Component(int i, int seed)
    {
        uint h = unchecked(((uint)i * 0x9E3779B9u) + ((uint)seed * 0x85EBCA6Bu) + 0x6A09E667u);
        h ^= h >> 15;
        h = unchecked(h * 0x2C1B3C6Du);
        h ^= h >> 12;
        return (h / 4294967296.0) - 0.5;
    }
}

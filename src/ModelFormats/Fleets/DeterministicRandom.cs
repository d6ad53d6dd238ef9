namespace OrleansUws.ModelFormats.Fleets;

/// <summary>
/// xoshiro256** with SplitMix64 seeding and Box–Muller normals: fast, and identical on every platform and .NET
/// version (unlike <see cref="Random"/>), so a fleet is reproducible from its seed.
/// </summary>
internal sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Seeds the generator from any number of 64-bit words (seed, purpose, indices).</summary>
    public DeterministicRandom(params ReadOnlySpan<ulong> words)
    {
        ulong state = 0x9E3779B97F4A7C15UL;
        foreach (ulong word in words)
        {
            state = SplitMix(ref state) ^ word;
        }

        _s0 = SplitMix(ref state);
        _s1 = SplitMix(ref state);
        _s2 = SplitMix(ref state);
        _s3 = SplitMix(ref state);
    }

    /// <summary>A stable 64-bit hash of a string (FNV-1a over UTF-16 code units), for seeding by layer id.</summary>
    public static ulong Hash(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return hash;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in (0, 1].</summary>
    public double NextDoubleNonZero() => ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double radius = Math.Sqrt(-2.0 * Math.Log(NextDoubleNonZero()));
        double angle = 2.0 * Math.PI * NextDoubleNonZero();
        _spare = radius * Math.Sin(angle);
        _hasSpare = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>Fills <paramref name="destination"/> with normal samples of standard deviation <paramref name="scale"/>.</summary>
    public void FillGaussian(Span<float> destination, double scale)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(scale * NextGaussian());
        }
    }

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}

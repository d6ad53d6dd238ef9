namespace OrleansUws.TrainedFleet.Training;

/// <summary>
/// Derives independent 31-bit seeds from a master seed and a path of words (purpose, index) with SplitMix64 —
/// stable across processes, unlike <see cref="HashCode"/>, whose hashes are randomised per process.
/// </summary>
public static class Seeds
{
    /// <summary>A non-negative seed for <see cref="Random"/> determined by <paramref name="words"/> alone.</summary>
    public static int Derive(params ReadOnlySpan<long> words)
    {
        ulong state = 0x9E3779B97F4A7C15UL;
        foreach (long word in words)
        {
            state = Mix(state ^ (ulong)word);
        }

        return (int)(Mix(state) >> 33);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

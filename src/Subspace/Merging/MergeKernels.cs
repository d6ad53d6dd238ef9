namespace OrleansUws.Subspace.Merging;

/// <summary>
/// The element-wise merge kernels on dense task vectors of one layer (row-major m×n each, all of one length).
/// Pure functions: the destination is fully written; NaN propagates.
/// </summary>
public static class MergeKernels
{
    /// <summary>
    /// TIES trim: keeps the ⌊density·len⌋ entries of largest magnitude (at least 1; ties broken by lower index), zeroes the rest.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ or density is outside (0, 1].</exception>
    public static void Trim(ReadOnlySpan<float> x, double density, Span<float> destination)
    {
        CheckLength(x.Length, destination.Length);
        if (!(density > 0 && density <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(density), density, "Density must be in (0, 1].");
        }

        int keep = Math.Max(1, (int)Math.Floor(density * x.Length));
        if (keep >= x.Length)
        {
            x.CopyTo(destination);
            return;
        }

        var magnitudes = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            magnitudes[i] = Math.Abs(x[i]);
        }

        var sorted = (float[])magnitudes.Clone();
        Array.Sort(sorted);
        float threshold = sorted[x.Length - keep];
        int above = 0;
        for (int i = 0; i < x.Length; i++)
        {
            above += magnitudes[i] > threshold ? 1 : 0;
        }

        int atThreshold = keep - above;
        for (int i = 0; i < x.Length; i++)
        {
            if (magnitudes[i] > threshold)
            {
                destination[i] = x[i];
            }
            else if (magnitudes[i] == threshold && atThreshold > 0)
            {
                destination[i] = x[i];
                atThreshold--;
            }
            else
            {
                destination[i] = 0;
            }
        }
    }

    /// <summary>
    /// TIES-merging: τ̂ᵢ = Trim(τᵢ, density); γₚ = sign(Σᵢ τ̂ᵢₚ) (the sign with more total mass); result
    /// λ·(Σ_{i: sign τ̂ᵢₚ = γₚ} τ̂ᵢₚ)/|{i: sign τ̂ᵢₚ = γₚ}| (0 where no entry agrees or γₚ = 0).
    /// </summary>
    public static void Ties(IReadOnlyList<float[]> taskVectors, double density, double lambda, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(taskVectors);
        CheckVectors(taskVectors, destination.Length);
        int length = destination.Length;
        var trimmed = taskVectors.Select(t =>
        {
            var result = new float[length];
            Trim(t, density, result);
            return result;
        }).ToArray();
        for (int p = 0; p < length; p++)
        {
            double mass = 0;
            foreach (var t in trimmed)
            {
                mass += t[p];
            }

            int sign = Math.Sign(mass);
            double sum = 0;
            int count = 0;
            foreach (var t in trimmed)
            {
                if (t[p] != 0 && Math.Sign(t[p]) == sign)
                {
                    sum += t[p];
                    count++;
                }
            }

            destination[p] = count == 0 || sign == 0 ? 0f : (float)(lambda * sum / count);
        }
    }

    /// <summary>
    /// DARE: τ̃ᵢ = mᵢ ⊙ τᵢ / (1 − p), where entry q of model i is dropped when <see cref="MaskDraw"/>(seed, i, layerId, q) &lt; p;
    /// result λ·Σᵢ τ̃ᵢ. The mask is a pure function of (seed, i, layer, q): reproducible and independent of chunking.
    /// </summary>
    public static void Dare(IReadOnlyList<float[]> taskVectors, double dropRate, ulong seed, string layerId, double lambda, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(taskVectors);
        ArgumentNullException.ThrowIfNull(layerId);
        CheckVectors(taskVectors, destination.Length);
        if (!(dropRate >= 0 && dropRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropRate), dropRate, "The drop rate must be in [0, 1).");
        }

        destination.Clear();
        double rescale = lambda / (1 - dropRate);
        ulong layer = Hash(layerId);
        for (int i = 0; i < taskVectors.Count; i++)
        {
            var t = taskVectors[i];
            for (int q = 0; q < t.Length; q++)
            {
                if (Draw(seed, i, layer, q) >= dropRate)
                {
                    destination[q] += (float)(rescale * t[q]);
                }
            }
        }
    }

    /// <summary>The uniform draw in [0, 1) that decides whether DARE keeps entry <paramref name="entry"/> of model <paramref name="index"/> (kept when ≥ p).</summary>
    public static double MaskDraw(ulong seed, int index, string layerId, int entry)
    {
        ArgumentNullException.ThrowIfNull(layerId);
        return Draw(seed, index, Hash(layerId), entry);
    }

    private static double Draw(ulong seed, int index, ulong layer, int entry)
    {
        ulong x = SplitMix(SplitMix(SplitMix(seed ^ 0xDA2EUL) ^ (ulong)index) ^ layer) ^ (ulong)entry;
        return (SplitMix(x) >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    // FNV-1a over UTF-16 code units.
    private static ulong Hash(string text)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return hash;
    }

    private static void CheckVectors(IReadOnlyList<float[]> vectors, int length)
    {
        if (vectors.Count == 0)
        {
            throw new ArgumentException("No task vectors to merge.", nameof(vectors));
        }

        for (int i = 0; i < vectors.Count; i++)
        {
            CheckLength(vectors[i].Length, length, $"task vector {i}");
        }
    }

    private static void CheckLength(int length, int destination, string what = "x")
    {
        if (length != destination)
        {
            throw new ArgumentException($"{what} has {length} values; the destination has {destination}.");
        }
    }
}

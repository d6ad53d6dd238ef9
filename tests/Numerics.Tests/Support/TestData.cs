namespace OrleansUws.Numerics.Tests.Support;

/// <summary>Seeded test matrices: Gaussian noise and planted low-rank structure with a clear spectral gap.</summary>
internal static class TestData
{
    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static float[] Gaussian(int seed, int count, double scale = 1.0)
    {
        var random = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)(scale * Gaussian(random));
        }

        return x;
    }

    /// <summary>Random orthonormal rows (k×d) by Gram–Schmidt of Gaussian rows.</summary>
    public static double[] OrthonormalRows(int seed, int k, int d)
    {
        var random = new Random(seed);
        var q = new double[k * d];
        for (int i = 0; i < k; i++)
        {
            var row = q.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                row[j] = Gaussian(random);
            }

            for (int pass = 0; pass < 2; pass++)
            {
                for (int p = 0; p < i; p++)
                {
                    var prev = q.AsSpan(p * d, d);
                    double dot = 0;
                    for (int j = 0; j < d; j++)
                    {
                        dot += row[j] * prev[j];
                    }

                    for (int j = 0; j < d; j++)
                    {
                        row[j] -= dot * prev[j];
                    }
                }
            }

            double norm = Math.Sqrt(row.ToArray().Sum(v => v * v));
            for (int j = 0; j < d; j++)
            {
                row[j] /= norm;
            }
        }

        return q;
    }

    /// <summary>
    /// n rows of dimension d: Σ_i g_i·s_i·v_i (planted rank-r directions v with strengths s_i decaying from 10 by
    /// <paramref name="decay"/>) + noise·Gaussian, plus an optional shared offset.
    /// </summary>
    public static float[] Planted(int seed, int n, int d, int rank, double noise, double decay = 0.8, double offset = 0, int basisSeed = 7)
    {
        var v = OrthonormalRows(basisSeed, rank, d);
        var random = new Random(seed);
        var rows = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            var row = new double[d];
            double strength = 10;
            for (int p = 0; p < rank; p++)
            {
                double g = Gaussian(random) * strength;
                for (int j = 0; j < d; j++)
                {
                    row[j] += g * v[(p * d) + j];
                }

                strength *= decay;
            }

            for (int j = 0; j < d; j++)
            {
                rows[(i * d) + j] = (float)(row[j] + (noise * Gaussian(random)) + (offset * (j % 3 == 0 ? 1 : 0)));
            }
        }

        return rows;
    }
}

using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Tests.Support;

/// <summary>Plain float64 reference computations (naive loops and the managed eigen-solver) to test against.</summary>
internal static class Reference
{
    private static readonly ManagedBlasBackend Managed = new();

    /// <summary>AᵀA (d×d) of rows (n×d), optionally centred on the row mean.</summary>
    public static double[] Gram(ReadOnlySpan<float> rows, int n, int d, bool centred = false)
    {
        var mean = Mean(rows, n, d);
        var g = new double[d * d];
        var x = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                x[j] = rows[(i * d) + j] - (centred ? mean[j] : 0);
            }

            for (int a = 0; a < d; a++)
            {
                double xa = x[a];
                for (int b = 0; b < d; b++)
                {
                    g[(a * d) + b] += xa * x[b];
                }
            }
        }

        return g;
    }

    public static double[] Mean(ReadOnlySpan<float> rows, int n, int d)
    {
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                mean[j] += rows[(i * d) + j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            mean[j] /= n;
        }

        return mean;
    }

    /// <summary>Eigenvalues ascending and eigenvectors as columns.</summary>
    public static (double[] Values, double[] Vectors) Eigen(double[] symmetric, int d)
    {
        var v = (double[])symmetric.Clone();
        var w = new double[d];
        Managed.SymmetricEigen(d, v, w);
        return (w, v);
    }

    /// <summary>Top-k eigenvectors as rows (k×d float), descending.</summary>
    public static float[] TopEigenvectors(double[] symmetric, int d, int k)
    {
        var (_, v) = Eigen(symmetric, d);
        var rows = new float[k * d];
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < d; i++)
            {
                rows[(c * d) + i] = (float)v[(i * d) + (d - 1 - c)];
            }
        }

        return rows;
    }

    /// <summary>‖X‖₂ of a symmetric matrix: the largest |eigenvalue|.</summary>
    public static double SpectralNorm(double[] symmetric, int d)
    {
        var (w, _) = Eigen(symmetric, d);
        return Math.Max(Math.Abs(w[0]), Math.Abs(w[^1]));
    }

    /// <summary>Smallest eigenvalue of a symmetric matrix.</summary>
    public static double MinEigenvalue(double[] symmetric, int d) => Eigen(symmetric, d).Values[0];

    /// <summary>C = op(A)·op(B) in float64 by the definition.</summary>
    public static double[] Multiply(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double aip = transA ? a[(p * lda) + i] : a[(i * lda) + p];
                    double bpj = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    sum += aip * bpj;
                }

                c[(i * n) + j] = sum;
            }
        }

        return c;
    }

    public static double[] Subtract(double[] a, double[] b) => a.Select((v, i) => v - b[i]).ToArray();

    public static double FrobeniusNorm(ReadOnlySpan<double> a)
    {
        double s = 0;
        foreach (double v in a)
        {
            s += v * v;
        }

        return Math.Sqrt(s);
    }

    /// <summary>‖A − A_k‖_F² = the sum of all but the k largest eigenvalues of AᵀA.</summary>
    public static double TailEnergy(double[] gram, int d, int k)
    {
        var (w, _) = Eigen(gram, d);
        return w.Take(d - k).Sum(v => Math.Max(v, 0));
    }

    /// <summary>The d×d BᵀB of a sketch's buffered rows.</summary>
    public static double[] SketchGram(Sketching.FrequentDirectionsSketch sketch)
    {
        var rows = new float[sketch.BufferedRows * sketch.Dimension];
        sketch.CopyRows(rows);
        return Gram(rows, sketch.BufferedRows, sketch.Dimension);
    }
}
